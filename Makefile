# The README's two commands: `make demo` and `make test`. Both work on a fresh machine that has
# only Python 3.11, pip and make: uv is bootstrapped with pip when missing, and everything else
# is installed from uv.lock into .venv.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(PY) -m uv
PG_URL ?= postgres://postgres@127.0.0.1:5432/vestige
# Does PostgreSQL answer (as the user of PG_URL, on its server's maintenance database)? One probe for test and bench.
PG_UP = $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null
export VESTIGE_HOME ?= $(CURDIR)/var
# Debian's packages for the browser and timestamping tests: bounded, so that a slow mirror fails the
# step with apt's message instead of holding the whole run (each download retried, 30 s per stall).
APT = timeout 900 apt-get -o Acquire::Retries=3 -o Acquire::http::Timeout=30

.PHONY: install demo test layers test-minimal test-sqlite test-postgres test-browser chromium wrk openssl bench bench-national messages lint clean

$(BIN)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv \
		|| $(PY) -m pip install --quiet --user uv \
		|| $(PY) -m pip install --quiet --break-system-packages uv
	$(UV) sync --frozen --all-extras --compile-bytecode --python $(PY)  # .pyc written once: every command starts faster
	@$(BIN)/python -m compileall -q src >/dev/null  # and for Vestige itself (PYTHONDONTWRITEBYTECODE or not)
	@$(BIN)/python -c "from vestige.kinship import kernels, lineage_kernels; kernels.warm_up(); lineage_kernels.warm_up()"  # the search's compiled kernels, cached
	@touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/vestige demo

test: install
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory test-minimal
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres
	@$(MAKE) --no-print-directory test-browser

layers: install  # the layers of ARCHITECTURE.md, from the imports (pyproject.toml, [tool.importlinter])
	@echo "== layers (import-linter) =="
	$(BIN)/lint-imports --no-cache

# The default install, proven: Vestige without any extra (pinned from uv.lock), and the pure cores'
# tests on it. `pip install .` is what a user without extras gets; the test tools are the lock's.
MIN := $(CURDIR)/.venv-minimal
test-minimal: install
	@echo "== minimal install (no extras): the cores' tests =="
	@rm -rf $(MIN) && $(UV) venv -q --python $(PY) $(MIN)
	@$(UV) export --frozen --no-dev --no-hashes --no-emit-project -q > $(MIN)/requirements.txt
	@$(UV) pip install -q --python $(MIN)/bin/python -r $(MIN)/requirements.txt
	@$(UV) pip install -q --python $(MIN)/bin/python --no-deps .
	@$(UV) pip install -q --python $(MIN)/bin/python $$($(BIN)/python -c "import importlib.metadata as m; \
		print(*(f'{p}=={m.version(p)}' for p in ('pytest', 'pytest-django', 'pytest-xdist', 'pytest-timeout', 'hypothesis')))")
	@! $(MIN)/bin/python -c "import cyvcf2" 2>/dev/null || { echo "an extra leaked into the minimal install"; exit 1; }
	@! $(MIN)/bin/python -c "import splink" 2>/dev/null || { echo "an extra leaked into the minimal install"; exit 1; }
	cd $(MIN) && $(MIN)/bin/pytest -q -n auto -p no:cacheprovider --rootdir=$(CURDIR) -c $(CURDIR)/pyproject.toml \
		$(CURDIR)/tests/kinship $(CURDIR)/tests/ledger $(CURDIR)/tests/media $(CURDIR)/tests/osteology \
		$(CURDIR)/tests/linkage

openssl:
	@command -v openssl >/dev/null || { echo "installing Debian's openssl (the tests' timestamping authority)"; \
		($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq openssl >/dev/null) \
		|| (sudo $(APT) update -qq && sudo DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq openssl >/dev/null); }

test-sqlite: install openssl
	@echo "== tests on SQLite =="
	$(BIN)/pytest -n auto -m "not browser" -q --durations=10

test-postgres: install openssl
	@if $(PG_UP); then \
		echo "== tests on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -n auto -m "not browser" -q --durations=10; \
	else \
		echo "== PostgreSQL SKIPPED: nothing answers as user postgres on 127.0.0.1:5432 =="; \
	fi

wrk:  # the load generator of benchmarks/web_load.py (it falls back to a Python client without it)
	@command -v wrk >/dev/null || { echo "installing Debian's wrk for the load benchmark"; \
		($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq wrk >/dev/null) \
		|| (sudo $(APT) update -qq && sudo DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq wrk >/dev/null) \
		|| echo "wrk not installed: the load benchmark uses its Python client"; }

chromium:
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium for the browser test"; \
		($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium >/dev/null) \
		|| (sudo $(APT) update -qq && sudo DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium >/dev/null); }

test-browser: install chromium openssl
	@echo "== browser test (Playwright + /usr/bin/chromium) =="
	$(BIN)/pytest -m browser -q -p no:xdist --durations=10

bench: install wrk
	$(BIN)/python benchmarks/kinship_search.py
	$(BIN)/python benchmarks/snp_kinship.py
	$(BIN)/python benchmarks/joint_dvi.py
	$(BIN)/python benchmarks/dental_match.py
	$(BIN)/python benchmarks/list_linkage.py
	$(BIN)/python benchmarks/identification_run.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/registry_pages.py
	@if $(PG_UP); then \
		$(BIN)/python benchmarks/registry_pages.py --postgres; else echo "PostgreSQL benchmark SKIPPED: none on 127.0.0.1:5432"; fi
	$(BIN)/python benchmarks/web_load.py
	@if $(PG_UP); then \
		$(BIN)/python benchmarks/web_load.py --postgres; else echo "PostgreSQL load benchmark SKIPPED: none on 127.0.0.1:5432"; fi
	$(MAKE) --no-print-directory bench-national

bench-national: install  # issue 12: 50,000 remains x 30,000 families, locally and on a 2-worker Dask cluster (~6 min, ~11 GB)
	$(BIN)/python benchmarks/kinship_search.py --families 30000 --remains 50000 --dask-workers 2 --skip-cli

# The .po file is the one source of the translations (translators' tools edit it): makemessages adds
# the new strings untranslated, the test of the catalogue fails until they are translated.
PO := src/vestige/locale/uk/LC_MESSAGES/django.po
messages: install
	cd src/vestige && ../../$(BIN)/vestige manage makemessages -l uk --no-obsolete
	@msgattrib --untranslated --no-wrap $(PO) | grep -E '^msgid ".+"' | sed 's/^/untranslated: /' || true
	@msgattrib --only-fuzzy --no-wrap $(PO) | grep -E '^msgid ".+"' | sed 's/^/fuzzy: /' || true
	cd src/vestige && ../../$(BIN)/vestige manage compilemessages -l uk

lint: install
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) $(MIN) .pytest_cache
