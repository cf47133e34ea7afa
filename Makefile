# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INI ?= development.ini
export PYTHONWARNINGS ?= ignore::UserWarning:pyramid.asset

.PHONY: install catalog migrate demo-data run worker test fuzz services bench soak clean

install: $(VENV)/.installed catalog

$(VENV)/.installed: setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Italian catalog: the .po is in git, its compiled .mo is built here.
catalog: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d portal/locale -D portal

migrate: install
	mkdir -p var
	$(BIN)/portal-manage $(INI) migrate

demo-data: migrate
	$(BIN)/portal-manage $(INI) demo-data

run: demo-data
	@echo "Serving on http://127.0.0.1:6543 (Ctrl-C to stop)"
	$(BIN)/pserve $(INI)

# Background jobs against a local Redis: an RQ worker and RQ's cron scheduler (Ctrl-C stops both).
# Run the web app with the same PORTAL_REDIS_URL so that it hands its jobs to them.
worker: migrate services
	PORTAL_REDIS_URL=$${PORTAL_REDIS_URL:-redis://127.0.0.1:6379/0}; export PORTAL_REDIS_URL; \
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/rq cron portal.jobs.cron --url $$PORTAL_REDIS_URL & \
	$(BIN)/portal-manage $(INI) worker

# PostgreSQL and Redis must answer on 127.0.0.1: started, or installed, if they do not.
services:
	bash tests/services.sh

test: install services
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2

# The deep run of the API fuzzer (README, "Bad input"): every operation of the OpenAPI document, as
# every role, with new random data each run, on PostgreSQL. FUZZ_EXAMPLES per operation, role and mode.
FUZZ_EXAMPLES ?= 60
fuzz: install services
	PORTAL_TEST_DATABASES=postgresql PORTAL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -n 2 -q -p no:cacheprovider \
	  tests/functional/test_fuzz.py

# The load benchmark (benchmarks/README.md): gunicorn + wrk on PostgreSQL, about 10 minutes.
bench: install services
	command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; } \
	  || { sudo apt-get update -q && sudo apt-get install -y -q wrk; }
	$(BIN)/pip install -q -e '.[bench]'
	PYTHONWARNINGS=ignore $(BIN)/python -m benchmarks.run

# The soak (benchmarks/soak.py): production setup under a mixed load, SOAK_MINUTES (default 10) after a
# warm-up; prints answers by status, workers' memory, PostgreSQL connections and the consistency checks.
SOAK_MINUTES ?= 10
soak: install services
	PYTHONWARNINGS=ignore $(BIN)/python -m benchmarks.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) var *.egg-info
