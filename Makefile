# scopezoo: every target installs into .venv first when it is missing or
# older than pyproject.toml, so each works alone on a fresh clone.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install test demo bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,deploy]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile $(PYTEST_ARGS)

# The demo: LeNet on the embedded digits, evaluated, then a new classifier
# fine-tuned on it and evaluated again; the first exported as a SavedModel that
# classifies four validation images. A second run resumes and re-evaluates.
DEMO := runs/demo
demo: $(STAMP)
	$(PY) train.py --config=configs/demo_lenet_digits.yaml --train_dir=$(DEMO)/lenet
	$(PY) eval.py --config=configs/demo_lenet_digits.yaml --checkpoint_path=$(DEMO)/lenet
	$(PY) train.py --config=configs/demo_lenet_digits_finetune.yaml \
	    --checkpoint_path=$(DEMO)/lenet --train_dir=$(DEMO)/lenet_new_head
	$(PY) eval.py --config=configs/demo_lenet_digits_finetune.yaml \
	    --checkpoint_path=$(DEMO)/lenet_new_head
	$(PY) -m engine.results $(DEMO)
	$(PY) export.py --checkpoint_path=$(DEMO)/lenet --export_dir=$(DEMO)/lenet_saved_model \
	    --overwrite
	$(PY) -m datasets.extract --count=4 --output_dir=$(DEMO)/images
	$(PY) predict.py --saved_model=$(DEMO)/lenet_saved_model $(DEMO)/images

bench: $(STAMP)
	$(PY) bench.py $(BENCH_ARGS)

LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[lint]'
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
