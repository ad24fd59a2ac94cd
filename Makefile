# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint migrate demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(BIN)/smartresponse migrate --noinput

demo: migrate
	$(BIN)/smartresponse demo --if-empty

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops the server and the background worker)"
	$(BIN)/smartresponse db_worker --no-startup-delay > var/worker.log 2>&1 & \
	  worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/smartresponse runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check src tests $(wildcard benchmarks scripts)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks scripts)
	$(BIN)/mypy

test: install
	$(BIN)/ruff check src tests $(wildcard benchmarks scripts)
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/triage_bench.py
	$(BIN)/python benchmarks/api_bench.py
	$(BIN)/python benchmarks/simulator.py
	$(BIN)/python benchmarks/analytics.py

clean:
	rm -rf $(VENV) var/*.sqlite3*
