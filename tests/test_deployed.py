"""Exported models measured as a user measures them: eval.py --model_file and predict.py
--model_file on TFLite (float, int8_full, int8_full on uint8 pixels) and ONNX exports of
LeNet and MobileNet v1 0.25 trained briefly on the embedded digits, and their errors.

The int8_full models must keep the float checkpoint's top-1 within a point on the
validation split, compute in 8-bit integers throughout, and predict.py must name the
checkpoint's top class with them. The exports are made by export.py's code in one child
process (the TFLite converter leaks memory in the process that converts)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from binaries import ROOT, run_binary
from datasets import extract
from engine import evaluation, flags, runtimes, serving, tflite_export, training
from engine import config as config_lib

# The demo recipe for LeNet; MobileNet v1 0.25 on 32-pixel digits with LeNet's
# preprocessing (no distortions: 300 steps reach about 0.86) and batch-norm statistics
# that follow so short a run.
RECIPES = {
    'lenet': config_lib.load_yaml(os.path.join(ROOT, 'configs', 'demo_lenet_digits.yaml')),
    'mobilenet_v1_025': dict(
        model_name='mobilenet_v1_025', dataset_name='digits', train_image_size=32,
        preprocessing_name='lenet', batch_size=32, max_number_of_steps=300, optimizer='adam',
        opt_epsilon=1e-8, learning_rate=0.005, seed=1, scope={'batch_norm_decay': 0.9}),
}
# export directory -> (model, export.py's flags)
EXPORTS = {
    'lenet_float': ('lenet', dict(format='tflite')),
    'lenet_int8': ('lenet', dict(format='tflite', quantize='int8_full')),
    'lenet_int8_pixels': ('lenet', dict(format='tflite', quantize='int8_full',
                                        tflite_input='uint8')),
    'lenet_onnx': ('lenet', dict(format='onnx')),
    'lenet_saved_model': ('lenet', dict(format='saved_model')),
    'mobilenet_v1_025_int8': ('mobilenet_v1_025', dict(format='tflite', quantize='int8_full')),
}
CALIBRATION_STEPS = 100

# Each export in one child: the config export.py resolves from the run's config.yaml.
EXPORT_SCRIPT = '''
import json, sys
from engine import exporting, flags, serving
for export_dir, train_dir, options in json.loads(sys.argv[1]):
  base = serving.run_config(train_dir)
  keys = flags.names(flags.COMMON, flags.SERVE, flags.EXPORT)
  config = flags.defaults(flags.COMMON, flags.SERVE, flags.EXPORT,
                          **{k: v for k, v in base.items() if k in keys})
  config.update(options, checkpoint_path=train_dir, export_dir=export_dir)
  given = frozenset(options) - {'calibration_steps'}  # the flags export.py was given
  exporting.export(config, given, report=lambda line: None)
'''


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  """{model: train_dir} of the two short runs, and the float checkpoints' results."""
  root = tmp_path_factory.mktemp('deployed')
  dirs, results = {}, {}
  for name, recipe in RECIPES.items():
    dirs[name] = str(root / name)
    recipe = dict(recipe, train_dir=dirs[name], log_every_n_steps=1000, save_summaries_secs=600)
    training.train(flags.defaults(flags.COMMON, flags.TRAIN, **recipe))
    config = _eval_config(dirs[name], checkpoint_path=dirs[name],
                          eval_dir=str(root / name / 'eval'),
                          eval_image_size=recipe.get('train_image_size'))
    results[name] = evaluation.evaluate(config, report=lambda r: None)
  return root, dirs, results


@pytest.fixture(scope='module')
def exports(runs):
  """{export name: export directory}, written by export.py's code in one child."""
  root, dirs, _ = runs
  jobs = [(str(root / name), dirs[model], dict(options, calibration_steps=CALIBRATION_STEPS))
          for name, (model, options) in EXPORTS.items()]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  done = subprocess.run([sys.executable, '-c', EXPORT_SCRIPT, json.dumps(jobs)], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  return {name: str(root / name) for name in EXPORTS}


def _eval_config(path, **overrides):
  """eval.py's config for the run or export at `path`: its config.yaml's keys, as eval.py
  takes them, then `overrides`."""
  keys = flags.names(flags.COMMON, flags.EVAL, flags.EXPORTED)
  base = {k: v for k, v in serving.run_config(path).items() if k in keys}
  return flags.defaults(flags.COMMON, flags.EVAL, flags.EXPORTED, **dict(base, **overrides))


def _evaluate_export(directory):
  """The results of an export directory (its one model) as eval.py --model_file has them."""
  config = _eval_config(directory, model_file=directory,
                        eval_dir=os.path.join(directory, 'eval'), batch_size=50)
  return evaluation.evaluate(config, report=lambda r: None)


def test_eval_py_measures_the_int8_model_beside_the_float_checkpoint(runs, exports):
  root, _, float_results = runs
  done = run_binary('eval.py', '--model_file=%s' % os.path.join(exports['lenet_int8'],
                                                                'model.tflite'))
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'eval tflite/int8_full model.tflite step 300 on digits/validation (299 examples)' \
      in done.stdout
  written = json.loads(open(os.path.join(exports['lenet_int8'], 'eval', 'results.json')).read())
  assert written['evaluated'] == 'tflite/int8_full' and written['examples'] == 299
  assert written['checkpoint'].startswith(str(root / 'lenet')) and written['step'] == 300
  assert abs(written['top1'] - float_results['lenet']['top1']) <= 0.01
  assert written['top5'] >= written['top1'] and written['loss'] < 0.5
  # One table: the checkpoint's row and the export's, saying what each evaluated.
  table = subprocess.run([sys.executable, '-m', 'engine.results', str(root)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
  assert table[0].split()[:3] == ['run', 'evaluated', 'dataset']
  rows = {line.split()[0]: line.split() for line in table[1:]}
  assert rows['lenet'][1] == 'checkpoint' and rows['lenet_int8'][1] == 'tflite/int8_full'
  assert rows['lenet_int8'][2:4] == ['digits/validation', '300']


@pytest.mark.parametrize('name', ['lenet_int8_pixels', 'mobilenet_v1_025_int8'])
def test_int8_full_keeps_the_float_top1_within_a_point(runs, exports, name):
  _, _, float_results = runs
  model = EXPORTS[name][0]
  results = _evaluate_export(exports[name])
  assert results['examples'] == 299 and results['evaluated'] == 'tflite/int8_full'
  assert float_results[model]['top1'] >= 0.8, float_results[model]
  assert abs(results['top1'] - float_results[model]['top1']) <= 0.01, (
      results, float_results[model])


@pytest.mark.parametrize('name, evaluated', [('lenet_float', 'tflite/none'),
                                             ('lenet_onnx', 'onnx/none'),
                                             ('lenet_saved_model', 'saved_model/none')])
def test_float_exports_score_as_the_checkpoint(runs, exports, name, evaluated):
  _, _, float_results = runs
  results = _evaluate_export(exports[name])
  assert results['evaluated'] == evaluated
  assert results['top1'] == float_results['lenet']['top1']
  assert results['loss'] == pytest.approx(float_results['lenet']['loss'], rel=1e-4)


@pytest.mark.parametrize('name', ['lenet_int8', 'lenet_int8_pixels', 'mobilenet_v1_025_int8'])
def test_int8_full_computes_in_8_bit_integers(exports, name):
  with open(os.path.join(exports[name], 'model.tflite'), 'rb') as f:
    (ops,) = tflite_export.read_ops(f.read())
  assert len(ops) > 5
  for op in ops:
    for tensor in op.outputs:  # every activation
      assert tensor.dtype in ('int8', 'uint8'), (op.name, tensor)
    for tensor in op.inputs:
      if tensor is None:
        continue
      if tensor.constant is None:
        assert tensor.dtype in ('int8', 'uint8'), (op.name, tensor)
      else:  # weights int8; biases (and shapes) int32
        assert tensor.dtype in ('int8', 'int32'), (op.name, tensor)
  runtime = runtimes.load(exports[name])
  assert runtime.input_dtype == np.uint8
  assert runtime.input == ('pixels' if 'pixels' in name else 'preprocessed')


def test_predict_py_names_the_checkpoints_top_class(runs, exports, tmp_path):
  _, dirs, _ = runs
  images = str(tmp_path / 'images')
  extract.extract(_validation_split(), 4, images)
  tops = {}
  for name, flag in (('checkpoint', '--checkpoint_path=%s' % dirs['lenet']),
                     ('tflite', '--model_file=%s/model.tflite' % exports['lenet_int8_pixels']),
                     ('onnx', '--model_file=%s/model.onnx' % exports['lenet_onnx'])):
    output = str(tmp_path / ('%s.json' % name))
    done = run_binary('predict.py', flag, '--output=%s' % output, images)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(output) as f:
      tops[name] = [(r['image'], r['predictions'][0]['label']) for r in json.load(f)]
  assert len(tops['checkpoint']) == 4
  assert tops['tflite'] == tops['checkpoint'] and tops['onnx'] == tops['checkpoint']
  # The digits' file names end in their true label: the short run knows them.
  assert sum(label in path for path, label in tops['checkpoint']) >= 3


def _validation_split():
  from datasets import catalog
  return catalog.get_split('digits', 'validation', None)


@pytest.fixture(scope='module')
def bad_files(tmp_path_factory, exports):
  directory = tmp_path_factory.mktemp('bad')
  (directory / 'text.tflite').write_text('not a model\n')
  with open(os.path.join(exports['lenet_onnx'], 'model.onnx'), 'rb') as f:
    (directory / 'cut.onnx').write_bytes(f.read()[:5000])
  with open(os.path.join(exports['lenet_int8'], 'model.tflite'), 'rb') as f:
    (directory / 'cut.tflite').write_bytes(f.read()[:5000])
  return directory


@pytest.mark.parametrize('program, args, message', [
    ('eval.py', ['--model_file={bad}/missing.tflite'],
     '--model_file: {bad}/missing.tflite does not exist; give a .tflite or .onnx file'),
    ('eval.py', ['--model_file={bad}/text.tflite'],
     '--model_file: {bad}/text.tflite is not a TFLite model'),
    ('eval.py', ['--model_file={bad}/cut.onnx'], '--model_file: {bad}/cut.onnx is not an ONNX '
     'model'),
    ('predict.py', ['--model_file={bad}/cut.tflite', '{bad}'],
     '--model_file: {bad}/cut.tflite is not a TFLite model'),
    ('eval.py', ['--model_file={bad}/cut.onnx', '--checkpoint_path={bad}'],
     'give --model_file or --checkpoint_path, not both'),
    ('predict.py', ['--model_file={bad}/cut.onnx', '--checkpoint_path={bad}', '{bad}'],
     'give --model_file or --checkpoint_path, not both'),
])
def test_a_bad_model_file_is_one_line(bad_files, program, args, message):
  (bad_files / 'image.png').write_bytes(b'')  # predict.py's image argument
  done = run_binary(program, *[a.format(bad=bad_files) for a in args])
  lines = done.stderr.strip().splitlines()
  assert done.returncode == 1 and 'Traceback' not in done.stderr, done.stderr[-2000:]
  assert len(lines) == 1 and lines[0].startswith(program + ': error: ' + message.format(
      bad=bad_files)), done.stderr


def test_runtimes_check_what_they_are_given(exports):
  runtime = runtimes.load(os.path.join(exports['lenet_int8'], 'model.tflite'))
  assert (runtime.kind, runtime.batch_size, runtime.image_size, runtime.num_classes) == (
      'tflite', 1, 28, 10)
  # A batch of any length: the fixed batch of 1 runs three times.
  images = np.random.RandomState(0).uniform(-1, 1, [3, 28, 28, 3]).astype(np.float32)
  logits = runtime.logits(images)
  assert logits.shape == (3, 10) and logits.dtype == np.float32
  np.testing.assert_array_equal(logits[1], runtime.logits(images[1:2])[0])
  with pytest.raises(config_lib.ConfigError, match=r'takes images \[batch, 28, 28, 3\], not '
                                                   r'\[3, 32, 32, 3\]'):
    runtime.logits(np.zeros([3, 32, 32, 3]))
  with pytest.raises(config_lib.ConfigError, match='is a directory without saved_model.pb, '
                                                   'model.tflite or model.onnx'):
    runtimes.load(os.path.dirname(exports['lenet_int8']))
  assert runtimes.label_names(exports['lenet_int8'], 10)[:2] == ['zero', 'one']
