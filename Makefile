# scopezoo: every target installs into .venv first when it is missing or
# older than pyproject.toml, so each works alone on a fresh clone.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install test demo demo-qat bench lint clean

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
# classifies four validation images, and as a full-integer (int8) TFLite model
# evaluated beside the float one. A second run resumes and re-evaluates.
DEMO := runs/demo
demo: $(STAMP)
	$(PY) train.py --config=configs/demo_lenet_digits.yaml --train_dir=$(DEMO)/lenet
	$(PY) eval.py --config=configs/demo_lenet_digits.yaml --checkpoint_path=$(DEMO)/lenet
	$(PY) train.py --config=configs/demo_lenet_digits_finetune.yaml \
	    --checkpoint_path=$(DEMO)/lenet --train_dir=$(DEMO)/lenet_new_head
	$(PY) eval.py --config=configs/demo_lenet_digits_finetune.yaml \
	    --checkpoint_path=$(DEMO)/lenet_new_head
	$(PY) export.py --checkpoint_path=$(DEMO)/lenet --export_dir=$(DEMO)/lenet_saved_model \
	    --overwrite
	$(PY) -m datasets.extract --count=4 --output_dir=$(DEMO)/images
	$(PY) predict.py --saved_model=$(DEMO)/lenet_saved_model $(DEMO)/images
	$(PY) export.py --checkpoint_path=$(DEMO)/lenet --format=tflite --quantize=int8_full \
	    --export_dir=$(DEMO)/lenet_int8 --overwrite
	$(PY) eval.py --model_file=$(DEMO)/lenet_int8/model.tflite
	$(PY) -m engine.results $(DEMO)

# Quantization-aware training (configs/demo_qat_digits.yaml): MobileNet v1 0.25 trained
# in float, exported int8_full with calibration (post-training), then fine-tuned with
# --quantize_delay=0 and exported int8_full from its learned ranges; the float checkpoint
# and the two .tflite models evaluated into float/, ptq_int8/, qat_int8/ and shown side by
# side (qat/ is the QAT checkpoint's eval graph, which the int8 model matches; float_more/
# the float checkpoint trained as long as the QAT run, in float: the fair float baseline).
QAT_DEMO := runs/demo_qat
QAT_RECIPE := configs/demo_qat_digits.yaml
demo-qat: $(STAMP)
	$(PY) train.py --config=$(QAT_RECIPE) --train_dir=$(QAT_DEMO)/train_float
	$(PY) eval.py --config=$(QAT_RECIPE) --checkpoint_path=$(QAT_DEMO)/train_float \
	    --eval_dir=$(QAT_DEMO)/float
	$(PY) export.py --checkpoint_path=$(QAT_DEMO)/train_float --format=tflite \
	    --quantize=int8_full --export_dir=$(QAT_DEMO)/export_ptq_int8 --overwrite
	$(PY) eval.py --model_file=$(QAT_DEMO)/export_ptq_int8/model.tflite \
	    --eval_dir=$(QAT_DEMO)/ptq_int8
	$(PY) train.py --config=$(QAT_RECIPE) --checkpoint_path=$(QAT_DEMO)/train_float \
	    --train_dir=$(QAT_DEMO)/train_qat --quantize_delay=0 --max_number_of_steps=200 \
	    --learning_rate=0.0005
	$(PY) eval.py --config=$(QAT_RECIPE) --checkpoint_path=$(QAT_DEMO)/train_qat \
	    --eval_dir=$(QAT_DEMO)/qat
	$(PY) export.py --checkpoint_path=$(QAT_DEMO)/train_qat --format=tflite \
	    --quantize=int8_full --export_dir=$(QAT_DEMO)/export_qat_int8 --overwrite
	$(PY) eval.py --model_file=$(QAT_DEMO)/export_qat_int8/model.tflite \
	    --eval_dir=$(QAT_DEMO)/qat_int8
	$(PY) train.py --config=$(QAT_RECIPE) --checkpoint_path=$(QAT_DEMO)/train_float \
	    --train_dir=$(QAT_DEMO)/train_float_more --max_number_of_steps=200 \
	    --learning_rate=0.0005
	$(PY) eval.py --config=$(QAT_RECIPE) --checkpoint_path=$(QAT_DEMO)/train_float_more \
	    --eval_dir=$(QAT_DEMO)/float_more
	$(PY) -m engine.results $(QAT_DEMO)/float $(QAT_DEMO)/ptq_int8 $(QAT_DEMO)/qat_int8 \
	    $(QAT_DEMO)/qat $(QAT_DEMO)/float_more

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
