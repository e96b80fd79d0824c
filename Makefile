# The two commands of the README: `make demo` and `make test`. Both bootstrap what the build needs first.
# A target directory outside the work tree survives between clones, so RocksDB's C++ is built once per machine.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/tracecode-target
CARGO ?= cargo

.PHONY: bootstrap demo test fmt-check clippy unit fuzz-build table-check

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	$(PREBUILT) $(CARGO) run --release --features cli --bin tracecode -- demo

test: bootstrap fmt-check table-check unit clippy fuzz-build

fmt-check:
	$(CARGO) fmt --all --check
	cd fuzz && $(CARGO) fmt --check

# The AI table is generated from the GS1 Syntax Dictionary; when the dictionary is beside the clone, prove the
# committed table is current.
table-check:
	@if [ -f ../shared/data/gs1-syntax-dictionary.txt ]; then \
	  $(CARGO) run -q -p xtask -- gen-ai-table --check; \
	else echo "table-check: dictionary not present, skipped"; fi

# RocksDB's C++ is the slow part of every build (15+ minutes on 2 cores), and cargo would compile it once per
# profile (release for the demo, dev for the tests) and once more for `cargo check` (clippy). Once any of them has
# built it, every later command links that archive instead (ROCKSDB_LIB_DIR is the crate's documented switch for
# a prebuilt library): one C++ build per machine, whichever command runs first.
ROCKSDB_BUILT = $(shell ls -t $(CARGO_TARGET_DIR)/release/build/librocksdb-sys-*/out/librocksdb.a $(CARGO_TARGET_DIR)/debug/build/librocksdb-sys-*/out/librocksdb.a 2>/dev/null | head -n 1 | xargs -r dirname)
PREBUILT = $(if $(ROCKSDB_BUILT),ROCKSDB_LIB_DIR=$(ROCKSDB_BUILT) ROCKSDB_STATIC=1)

# The default features too: that build of the store leaves out the `testing` hooks --all-features compiles in.
clippy:
	$(PREBUILT) $(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(PREBUILT) $(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --no-default-features -- -D warnings

unit:
	$(PREBUILT) $(CARGO) test --workspace --all-features
	$(CARGO) test --no-default-features --lib --tests

# Fuzz targets are a separate cargo-fuzz workspace; building them with the stable toolchain proves they compile
# (running them needs `cargo fuzz run <target>` on nightly).
fuzz-build:
	cd fuzz && $(CARGO) build --bins
