# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Local development defaults; any of them can be overridden from the environment.
export DEBUG ?= true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench install frontend lint format migrate seed clean messages compilemessages gettext

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	touch $@

install: $(VENV)/.installed

# The front end: GOV.UK Frontend and MoJ Frontend from npm at the versions in
# package-lock.json, compiled with Dart Sass into static/build/. Each step runs again
# only when what it is made from has changed (the stamp files record the last run).
FRONTEND_SOURCES := $(wildcard assets/*.mjs assets/scss/*.scss assets/scss/*/*.scss)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/build/.built: node_modules/.installed $(FRONTEND_SOURCES)
	npm run build
	touch $@

frontend: static/build/.built

# Translations (README, Languages): the .po catalogues are in the repository; the .mo
# files Django reads are compiled from them here, with GNU gettext's msgfmt (Debian's
# gettext package, installed if missing), and never committed.
LOCALE_LANGUAGES := cy pl ro es pt bn tr ar ur
MAKEMESSAGES := $(BIN)/python manage.py makemessages --no-obsolete \
	--add-location=file --ignore=.venv --ignore=node_modules --ignore=static \
	--ignore=var --ignore=tests --ignore=bench

gettext:
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)

compilemessages: install gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --verbosity 0

# Regenerate every catalogue from the source, after changing a victim-facing string.
messages: install gettext
	$(MAKEMESSAGES) $(addprefix -l ,$(LOCALE_LANGUAGES))

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: frontend compilemessages seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/gunicorn trackmycrime.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

# pytest runs the tests in a shuffled order (pytest-randomly) and prints the seed
# first: `make test PYTEST_ARGS="-p randomly --randomly-seed=1234"` repeats an order,
# `PYTEST_ARGS="-p no:randomly"` runs them in file order.
test: install frontend compilemessages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmark (see README.md): needs PostgreSQL and Redis, and wrk (installed from
# Debian's packages if missing). Not part of `make test`, which runs a tiny version.
# The long parts are asked for with BENCH_ARGS: `--huge-cases 10000000` adds the scale
# figures at ten million cases (about 17 more minutes of loading on an idle machine,
# 30 GB of disk), `--notify-full` paces 20,000 messages at 3,000 a minute (7 minutes).
bench: install frontend compilemessages
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles node_modules static/build
