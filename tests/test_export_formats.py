"""export.py --format=tflite|onnx|frozen_graph: conversions that keep the logits, the uint8
input, full-integer models, the Edge TPU check, the export directory, and the bad inputs.

Conversions run in child processes (tests/export_formats_worker.py, and export.py as a
user runs it): the TFLite converter leaks memory with each conversion on TF 2.21.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import seeded_weights
from binaries import ROOT, run_binary
from datasets import writer
from engine import checkpoints, edgetpu, flags, serving
from engine.config import ConfigError
from engine.model_building import build_network
from nets import registry
from preprocessing import factory as preprocessing_factory
from test_serving import FAMILIES

NUM_CLASSES = 7
ALL = ['none', 'float16', 'dynamic', 'onnx']
# Every family converts to float TFLite; the quantizations and ONNX, whose code is the same
# for every net, run on the small ones. SCOPEZOO_EXPORT_FORMATS=all runs what
# docs/exporting.md reports: every format of every family, but for the ConvNets with hundreds
# of megabytes of fully connected weights (minutes each; LeNet, CifarNet and AlexNet are
# ConvNets too).
SMALL = ('lenet', 'cifarnet', 'mobilenet_v1_025', 'mobilenet_v2_035')
GIANTS = {'alexnet_v2': ['none', 'float16', 'dynamic'], 'overfeat': ['none'], 'vgg_a': ['none']}
EVERY_FORMAT = os.environ.get('SCOPEZOO_EXPORT_FORMATS') == 'all'


def _formats(name):
  if EVERY_FORMAT:
    return GIANTS.get(name, ALL)
  return ALL if name in SMALL else ['none']


JOBS = {name: {'size': size, 'formats': _formats(name)} for name, size in FAMILIES.items()
        if EVERY_FORMAT or name not in ('overfeat', 'vgg_a')}
# The largest |converted - TensorFlow's| logit, relative to TensorFlow's largest.
TOLERANCE = {'none': 1e-4, 'onnx': 1e-4, 'float16': 1e-2, 'dynamic': 0.1}


@pytest.fixture(scope='module')
def conversions(tmp_path_factory):
  """{model: {format: relative error}}, and the directory of the .tflite files."""
  out = tmp_path_factory.mktemp('conversions')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  errors = {}
  # One process for all; one per model for all formats (the leaks would add up to gigabytes).
  for chunk in [{name: job} for name, job in JOBS.items()] if EVERY_FORMAT else [JOBS]:
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'export_formats_worker.py'),
         json.dumps(chunk), str(out)], capture_output=True, text=True, env=env, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in done.stdout.splitlines():
      if line.startswith('RESULT '):
        result = json.loads(line[len('RESULT '):])
        errors[result['model']] = result['errors']
        print(line)  # the errors and CPU seconds, shown with pytest -s
  return errors, out


@pytest.mark.parametrize('name', list(JOBS))
def test_every_family_converts_and_keeps_its_logits(conversions, name):
  errors, _ = conversions
  assert sorted(errors[name]) == sorted(JOBS[name]['formats'])
  for fmt, error in errors[name].items():
    assert error <= TOLERANCE[fmt], (fmt, error)


def test_edgetpu_check_refuses_a_dynamic_range_model_naming_the_op(conversions):
  _, out = conversions
  model = (out / 'lenet_dynamic.tflite').read_bytes()
  with pytest.raises(ConfigError, match=r'--edgetpu: op \d+ CONV_2D: its tensor .* is float32'):
    edgetpu.check(model)


# --- A TF-Slim (TF1 Saver) checkpoint through export.py -------------------------------------

SLIM_MODEL, SLIM_SIZE = 'mobilenet_v1_025', 64


@pytest.fixture(scope='module')
def slim_checkpoint(tmp_path_factory):
  """A TF1 `Saver` checkpoint of mobilenet_v1_025 under TF-Slim's variable names."""
  directory = tmp_path_factory.mktemp('slim')
  spec = registry.get(SLIM_MODEL)
  net = build_network(spec, flags.defaults(flags.COMMON), NUM_CLASSES)
  net(tf.zeros([1, SLIM_SIZE, SLIM_SIZE, 3]), training=False)
  seeded_weights.assign_eager(net.variables)
  values = {checkpoints.name_of(v): v.numpy() for v in net.variables}
  with tf.Graph().as_default():
    saved = {name: tf.compat.v1.Variable(value, name=name) for name, value in values.items()}
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      return tf.compat.v1.train.Saver(saved).save(session, str(directory / 'model.ckpt'))


def _export(checkpoint, export_dir, *args):
  done = run_binary('export.py', '--model=%s' % SLIM_MODEL, '--checkpoint_path=%s' % checkpoint,
                    '--image_size=%d' % SLIM_SIZE, '--export_dir=%s' % export_dir, *args)
  assert done.returncode == 0, done.stderr[-3000:]
  return done


def _interpreter(path):
  from ai_edge_litert.interpreter import Interpreter
  interpreter = Interpreter(model_path=str(path))
  interpreter.allocate_tensors()
  return interpreter


def test_slim_checkpoint_to_tflite_onnx_and_uint8_pixels(slim_checkpoint, tmp_path):
  _export(slim_checkpoint, tmp_path / 'float', '--format=tflite')
  _export(slim_checkpoint, tmp_path / 'pixels', '--format=tflite', '--tflite_input=uint8')
  _export(slim_checkpoint, tmp_path / 'onnx', '--format=onnx')
  config = flags.defaults(flags.COMMON, flags.SERVE, flags.EXPORT, model_name=SLIM_MODEL,
                          checkpoint_path=slim_checkpoint, image_size=SLIM_SIZE)
  classifier, setup = serving.build(config)
  # A decoded image through the eval crop and resize: its pixels rounded to bytes, and
  # the float model's input made of those bytes.
  image = np.random.RandomState(5).randint(0, 256, [50, 40, 3]).astype(np.uint8)
  preprocess = preprocessing_factory.get_preprocessing(setup.preprocessing)
  pixels = preprocess(tf.constant(image), SLIM_SIZE, SLIM_SIZE, normalized=False)
  pixels = np.clip(np.round(pixels.numpy()), 0, 255).astype(np.uint8)[None]
  preprocessed = preprocess.normalize(tf.constant(pixels, tf.float32)).numpy()
  expected = classifier.classify_preprocessed(preprocessed)['logits'].numpy()
  assert np.abs(expected).max() > 1e-3
  tolerance = 1e-4 * np.abs(expected).max()

  tflite = _interpreter(tmp_path / 'float' / 'model.tflite').get_signature_runner()
  np.testing.assert_allclose(tflite(images=preprocessed)['logits'], expected, atol=tolerance)
  uint8 = _interpreter(tmp_path / 'pixels' / 'model.tflite').get_signature_runner()
  assert uint8.get_input_details()['images']['dtype'] == np.uint8
  np.testing.assert_allclose(uint8(images=pixels)['logits'], expected, atol=tolerance)
  import onnxruntime
  session = onnxruntime.InferenceSession(str(tmp_path / 'onnx' / 'model.onnx'),
                                         providers=['CPUExecutionProvider'])
  np.testing.assert_allclose(session.run(['logits'], {'images': preprocessed})[0], expected,
                             atol=tolerance)
  # What eval.py --model_file reads: the run's keys and the export's.
  run = serving.run_config(str(tmp_path / 'pixels' / 'model.tflite'))
  assert (run['model_name'], run['num_classes'], run['image_size']) == (SLIM_MODEL,
                                                                        NUM_CLASSES, SLIM_SIZE)
  from engine import config as config_lib
  export = config_lib.load_yaml(str(tmp_path / 'pixels' / 'config.yaml'))['export']
  assert export == {'format': 'tflite', 'quantize': 'none', 'input': 'pixels', 'batch_size': 1,
                    'image_size': SLIM_SIZE, 'checkpoint': slim_checkpoint, 'step': None}
  assert (tmp_path / 'onnx' / 'labels.txt').read_text().splitlines() == [
      '%d:%d' % (i, i) for i in range(NUM_CLASSES)]


# --- Quantized lenet from a training run (test_serving's lenet_run) --------------------------

def _tensor_types(path):
  """{'input', 'output', 'activations'}: the dtypes the interpreter reports for the model's
  input and output and for every op's output."""
  interpreter = _interpreter(path)
  details = {t['index']: t for t in interpreter.get_tensor_details()}
  activations = {np.dtype(details[i]['dtype']).name for op in interpreter._get_ops_details()
                 for i in op['outputs'] if i >= 0}
  return {'input': np.dtype(interpreter.get_input_details()[0]['dtype']).name,
          'output': {np.dtype(d['dtype']).name for d in interpreter.get_output_details()},
          'activations': activations}


def test_int8_full_is_integer_throughout_and_passes_the_edgetpu_check(lenet_run, tmp_path):
  full = tmp_path / 'full'
  done = run_binary('export.py', '--checkpoint_path=%s' % lenet_run, '--export_dir=%s' % full,
                    '--format=tflite', '--edgetpu', '--calibration_steps=8')
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'edgetpu_compiler %s' % (full / 'model.tflite') in done.stdout
  types = _tensor_types(full / 'model.tflite')
  assert types == {'input': 'uint8', 'output': {'uint8'}, 'activations': {'int8', 'uint8'}}
  edgetpu.check((full / 'model.tflite').read_bytes())
  exported = serving.run_config(str(full / 'model.tflite'))
  assert (exported['model_name'], exported['dataset_name'], exported['num_classes']) == (
      'lenet', 'digits', 10)

  signed = tmp_path / 'signed'
  done = run_binary('export.py', '--checkpoint_path=%s' % lenet_run, '--export_dir=%s' % signed,
                    '--format=tflite', '--quantize=int8_full', '--tflite_io=int8',
                    '--calibration_steps=8')
  assert done.returncode == 0, done.stderr[-3000:]
  assert _tensor_types(signed / 'model.tflite') == {
      'input': 'int8', 'output': {'int8'}, 'activations': {'int8'}}


def test_int8_keeps_float_input_and_output(lenet_run, tmp_path):
  done = run_binary('export.py', '--checkpoint_path=%s' % lenet_run, '--format=tflite',
                    '--quantize=int8', '--calibration_steps=8',
                    '--export_dir=%s' % (tmp_path / 'int8'))
  assert done.returncode == 0, done.stderr[-3000:]
  types = _tensor_types(tmp_path / 'int8' / 'model.tflite')
  assert types['input'] == 'float32' and types['output'] == {'float32'}
  assert 'int8' in types['activations']


# --- Bad input: one line, a non-zero exit, the existing export untouched --------------------

@pytest.fixture(scope='module')
def bad_inputs(tmp_path_factory):
  """A cifarnet checkpoint (its local response normalisation has no int8 kernel) and a
  dataset whose train split is empty."""
  directory = tmp_path_factory.mktemp('bad_inputs')
  spec = registry.get('cifarnet')
  net = build_network(spec, flags.defaults(flags.COMMON), 10)
  net(tf.zeros([1, 32, 32, 3]), training=False)
  cifarnet = tf.train.Checkpoint(net=net).write(str(directory / 'cifarnet' / 'ckpt'))
  data = directory / 'data'
  data.mkdir()
  with tf.io.TFRecordWriter(str(data / writer.shard_name('tiny', 'train', 0, 1))):
    pass
  (data / 'labels.txt').write_text('0:zero\n1:one\n')
  return {'cifarnet': cifarnet, 'data': data}


@pytest.mark.parametrize('args, message', [
    (['--format=tflit'], 'flag --format=tflit: value should be one of'),
    (['--format=tflite', '--quantize=int4'], 'flag --quantize=int4: value should be one of'),
    (['--format=tflite', '--quantize=int8', '--dataset_name=tiny', '--dataset_dir={data}'],
     'the calibration split holds no images'),
    (['--model=i3d', '--format=tflite'], 'i3d classifies video clips'),
    (['--model=cifarnet', '--checkpoint_path={cifarnet}', '--dataset_name=digits',
      '--format=tflite', '--edgetpu', '--calibration_steps=2'],
     r'op \d+ LOCAL_RESPONSE_NORMALIZATION .*float32.*no int8 kernel'),
    (['--format=onnx', '--tflite_input=uint8'], '--tflite_input applies to --format=tflite, '
     'not --format=onnx'),
    (['--format=saved_model', '--quantize=int8'], '--quantize applies to --format=tflite'),
    (['--format=tflite', '--edgetpu', '--quantize=dynamic'], '--edgetpu needs '
     '--quantize=int8_full'),
    (['--format=tflite', '--calibration_steps=5'], '--calibration_steps applies to '
     '--quantize=int8 or int8_full'),
])
def test_bad_input_is_one_line_and_leaves_the_export(lenet_run, bad_inputs, tmp_path, args,
                                                     message):
  export_dir = tmp_path / 'exported'
  export_dir.mkdir()
  (export_dir / 'model.tflite').write_bytes(b'the earlier export')
  values = dict(bad_inputs, run=lenet_run)
  args = [a.format(**values) for a in args]
  if not any(a.startswith('--checkpoint_path') for a in args):
    args.append('--checkpoint_path=%s' % lenet_run)
  done = run_binary('export.py', '--export_dir=%s' % export_dir, '--overwrite', *args)
  assert done.returncode == 1, done.stdout[-2000:]
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  if 'value should be one of' in message:  # absl's own line for an enum flag
    assert re.search(message, done.stderr), done.stderr[-2000:]
  else:
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith('export.py: error: ') and re.search(message, last), last
  assert sorted(os.listdir(tmp_path)) == ['exported']  # no temporary left behind
  assert (export_dir / 'model.tflite').read_bytes() == b'the earlier export'


def test_missing_deploy_extra_is_named(lenet_run, tmp_path):
  shadow = tmp_path / 'shadow'
  shadow.mkdir()
  (shadow / 'tf2onnx.py').write_text('raise ImportError("No module named tf2onnx")\n')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH='%s:%s' % (shadow, ROOT))
  done = subprocess.run([sys.executable, os.path.join(ROOT, 'export.py'), '--format=onnx',
                         '--checkpoint_path=%s' % lenet_run,
                         '--export_dir=%s' % (tmp_path / 'out')],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert done.returncode == 1
  assert done.stderr.strip().splitlines()[-1] == (
      "export.py: error: --format=onnx needs tf2onnx, which is not installed: "
      "pip install -e '.[deploy]'")
  assert not (tmp_path / 'out').exists()
