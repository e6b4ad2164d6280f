# pureconnect-idp: `make run` starts the demo identity provider, `make test` runs every check.
# Both install what they need when missing: Debian packages (apt-get, through
# scripts/install-deps.sh) and a Python venv for the test tools.

CARGO      ?= cargo
VENV       ?= .venv-test
PYTHON     ?= python3
# What samael's xmlsec feature and libgssapi (MIT Kerberos headers) need to build.
DEB_BUILD  := libxmlsec1-dev libxml2-dev pkg-config clang libclang-dev libkrb5-dev
# What the tests use: xmlsec1 to check signatures, Chromium for the browser flow, nginx for
# the proxy tests, CJK fonts so Chinese, Japanese and Korean pages render (and measure) right,
# a MIT KDC with kinit and a slapd with its tools for the Windows sign-in tests, redis-server for
# the tests of a pair that shares its state, prometheus for promtool (the alert rules and the
# dashboard queries), lintian for the Debian package (its test runs systemd-analyze verify where
# systemd is there). Node.js and npm (for axe-core) are taken as the machine has them, and
# installed from Debian only when there is no npm at all.
DEB_TEST   := xmlsec1 chromium chromium-driver nginx fonts-noto-cjk \
              krb5-kdc krb5-admin-server krb5-user slapd ldap-utils redis-server \
              prometheus lintian
AXE        := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test deps-build deps-test venv axe build lint release deb cargo-deb clean

deps-build:
	@scripts/install-deps.sh $(DEB_BUILD)

deps-test: deps-build
	@scripts/install-deps.sh $(DEB_TEST)

# The Python tools the tests drive (pysaml2 as an SP, selenium for Chromium, the Prometheus
# text parser), pinned.
$(VENV)/.ok: tests/sp/requirements.txt tests/browser/requirements.txt tests/ops/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/sp/requirements.txt -r tests/browser/requirements.txt -r tests/ops/requirements.txt
	@touch $@

venv: $(VENV)/.ok

# axe-core at the version package-lock.json pins (npm ci installs exactly that, or fails).
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || scripts/install-deps.sh nodejs npm
	cd tests/browser && npm ci --no-audit --no-fund
	@touch $@

axe: $(AXE)

build: deps-build
	$(CARGO) build

release: deps-build
	$(CARGO) build --release

# cargo-deb, the Rust ecosystem's Debian packager, from crates.io when missing.
cargo-deb:
	@command -v cargo-deb >/dev/null 2>&1 || $(CARGO) install cargo-deb --locked

# target/debian/pureconnect-idp_<version>_amd64.deb from the release build (see
# [package.metadata.deb] in Cargo.toml and deploy/).
deb: deps-build cargo-deb
	$(CARGO) deb --strip

run: deps-build
	$(CARGO) run --release -- serve --demo

lint: deps-build
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(PYTHON) scripts/web_imports.py

# The package test (deb::) is ignored by plain `cargo test`: it needs cargo-deb and lintian.
# It packages the binary the tests built, so it adds about a minute, not a release build.
test: deps-test venv axe lint cargo-deb
	IDP_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python $(CARGO) test
	$(CARGO) test --test it deb:: -- --ignored

clean:
	$(CARGO) clean
	rm -rf $(VENV) demo-state test-artifacts tests/browser/node_modules
