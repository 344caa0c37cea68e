# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv from pyproject.toml when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate content-check bench bench-quick docs-images soak clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m bot run $(ARGS)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench --profile full

bench-quick: $(STAMP)
	$(PY) -m bench --profile quick

migrate: $(STAMP)
	$(PY) -m bot migrate

# The full fault soak, once per platform model (Discord's nonce window, Slack with no
# idempotency), counting every post a member would see: 1,000 members over 60 simulated days,
# one real SIGKILL (long; `make test` runs a short one of each). Override with SOAK_MEMBERS,
# SOAK_DAYS, SOAK_SEED.
soak: $(STAMP)
	SOAK_MEMBERS=$${SOAK_MEMBERS:-1000} SOAK_DAYS=$${SOAK_DAYS:-60} SOAK_KILL=1 \
		$(PY) -m pytest tests/soak -q -s -p no:logging -p no:cacheprovider

# The pictures in docs/images/, drawn from fixed example data (bot/core/pictures/samples.py).
docs-images: $(STAMP)
	$(PY) -m bot.core.pictures.samples docs/images

content-check: $(STAMP)
	$(PY) -m bot content check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
