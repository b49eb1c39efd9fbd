# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test lint bench teams-package clean .env.key

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)

# A local TALLY_SECRET_KEY (it keys delivery ids and encrypts stored tokens), written once to .env.
.env.key: | $(BIN)/python
	@if [ -z "$$TALLY_SECRET_KEY" ] && ! grep -qs '^TALLY_SECRET_KEY=.' .env; then \
		echo "TALLY_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" >> .env; \
		echo "Wrote a new TALLY_SECRET_KEY to .env (keep it: it keys delivery ids and encrypts stored tokens)"; \
	fi

run: install .env.key
	$(BIN)/tally db upgrade
	@echo ""
	@echo "Tally is starting on http://127.0.0.1:3978"
	@echo "  health:  curl http://127.0.0.1:3978/healthz"
	@echo "  console: $(BIN)/tally chat"
	@echo "  Slack:   set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (see README), expose port 3978"
	@echo "           and point the app's request URLs at https://<your-host>/slack/events"
	$(BIN)/tally serve --host 127.0.0.1 --port 3978

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check .

# Every bench script, then one table: figure, target, anchor, verdict (bench/all.py --quick: a smoke run).
bench: install-test
	$(BIN)/python bench/all.py

teams-package: install
	$(BIN)/python -m adapters.teams.package

clean:
	rm -rf $(VENV) tally.db tally.db-wal tally.db-shm
