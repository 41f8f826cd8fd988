"""export.py's work: a checkpoint to an export directory of any format, whole or not at all.

Every export directory holds the model (`saved_model.pb` and `variables/`,
`frozen_graph.pb`, `model.tflite` or `model.onnx`), `labels.txt` (TF-Slim's
`id:name` lines, one per output class index) and `config.yaml`: the keys that
`serving.run_config` reads (model_name, scope, resolved: num_classes,
labels_offset, image_size, preprocessing, dataset; dataset_dir), so that
`serving.run_config(path_to_model_file)` names the model and its dataset, plus an
`export:` mapping (format, quantize, input, batch_size, image_size, checkpoint,
step).

TFLite and ONNX are converted from the same traced net as the SavedModel, a
function of a fixed batch (`--batch_size` when given, else 1); TFLite's
quantization is calibrated on real images through eval.py's preprocessing.
"""

import functools
import importlib
import os

import tensorflow as tf

from datasets import pipeline, records
from engine import config as config_lib
from engine import edgetpu, inputs, model_building, onnx_export, serving, tflite_export
from engine.config import ConfigError
from preprocessing import factory as preprocessing_factory

FORMATS = ('saved_model', 'frozen_graph', 'tflite', 'onnx')
MODEL_FILES = {'saved_model': 'saved_model.pb', 'frozen_graph': 'frozen_graph.pb',
               'tflite': 'model.tflite', 'onnx': 'model.onnx'}
CONFIG_FILE = 'config.yaml'
TFLITE_INPUTS = {'float': 'preprocessed', 'uint8': 'pixels'}  # --tflite_input -> export input
# What each format needs beyond the base install: the `deploy` extra.
REQUIRED = {'tflite': ('ai_edge_litert',), 'onnx': ('tf2onnx', 'onnxruntime', 'onnx')}
TFLITE_ONLY = ('quantize', 'tflite_input', 'tflite_io', 'edgetpu')
CALIBRATION_FLAGS = ('calibration_dataset', 'calibration_split', 'calibration_steps')


def check(config, given):
  """Refuses contradictory export flags before any work; `given` names the flags
  set on the command line. Returns (format, quantize)."""
  fmt = config['format']
  if fmt not in FORMATS:
    raise ConfigError('--format=%s: must be one of %s' % (fmt, ', '.join(FORMATS)))
  quantize = config['quantize']
  if quantize not in tflite_export.QUANTIZATIONS:
    raise ConfigError('--quantize=%s: must be one of %s' % (
        quantize, ', '.join(tflite_export.QUANTIZATIONS)))
  if not config['export_dir'] and not (fmt == 'saved_model' and config['frozen_graph']):
    raise ConfigError('--export_dir is required: the directory to write the %s to' % fmt)
  if fmt != 'tflite':
    wrong = [name for name in TFLITE_ONLY if name in given]
    if wrong:
      raise ConfigError('--%s applies to --format=tflite, not --format=%s' % (wrong[0], fmt))
  if config['edgetpu']:
    if 'quantize' in given and quantize != 'int8_full':
      raise ConfigError('--edgetpu needs --quantize=int8_full (what the Edge TPU runs), not '
                        '--quantize=%s' % quantize)
    quantize = 'int8_full'
  if quantize not in tflite_export.CALIBRATED:
    wrong = [name for name in CALIBRATION_FLAGS if name in given]
    if wrong:
      raise ConfigError('--%s applies to --quantize=int8 or int8_full, not --quantize=%s'
                        % (wrong[0], quantize))
  elif config['calibration_steps'] < 1:
    raise ConfigError('--calibration_steps=%d: must be at least 1' % config['calibration_steps'])
  if 'tflite_io' in given and fmt == 'tflite' and quantize != 'int8_full':
    raise ConfigError('--tflite_io applies to --quantize=int8_full (its 8-bit input and '
                      'output), not --quantize=%s' % quantize)
  for module in REQUIRED.get(fmt, ()):
    try:
      importlib.import_module(module)
    except ImportError:
      raise ConfigError("--format=%s needs %s, which is not installed: pip install -e "
                        "'.[deploy]'" % (fmt, module)) from None
  return fmt, quantize


def export(config, given=frozenset(), report=print):
  """Writes config['export_dir'] in config['format'] from config['checkpoint_path'] (and
  the frozen graph of --frozen_graph); `given` names the flags set on the command line."""
  fmt, quantize = check(config, given)
  classifier, setup = serving.build(config, config['top_k'])
  report('%s, %d classes named by %s, %dx%d images, %s preprocessing, from %s' % (
      setup.spec.name, setup.num_classes, setup.labels_source, setup.image_size,
      setup.image_size, setup.preprocessing, setup.checkpoint))
  if config['frozen_graph']:
    serving.write_frozen_graph(classifier, setup, config['frozen_graph'], config['overwrite'])
    report('frozen GraphDef: %s (input node %r, output nodes %s)' % (
        config['frozen_graph'], serving.INPUT_NODE, ', '.join(serving.OUTPUT_NODES)))
  if not config['export_dir']:
    return
  info = {'format': fmt, 'quantize': quantize if fmt == 'tflite' else 'none',
          'input': 'preprocessed', 'batch_size': None}
  if fmt == 'saved_model':
    write_model = lambda directory: serving.write_saved_model(classifier, directory)
    done = 'SavedModel (signatures %s: image bytes, %s: float images, %s: preprocessed images)' \
        % (serving.BYTES_SIGNATURE, serving.IMAGES_SIGNATURE, serving.PREPROCESSED_SIGNATURE)
  elif fmt == 'frozen_graph':
    graph_def = serving.frozen_graph_def(classifier, setup)
    write_model = _file_writer(fmt, graph_def.SerializeToString())
    done = 'frozen GraphDef (input node %r, output nodes %s)' % (
        serving.INPUT_NODE, ', '.join(serving.OUTPUT_NODES))
  else:
    batch_size = config['batch_size'] if 'batch_size' in given else 1
    input_kind = TFLITE_INPUTS[config['tflite_input']] if fmt == 'tflite' else 'preprocessed'
    info.update(input=input_kind, batch_size=batch_size)
    calibrated = fmt == 'tflite' and quantize in tflite_export.CALIBRATED
    function = tflite_export.inference_function(
        classifier.net, setup.image_size, batch_size, input_kind, setup.preprocessing,
        pixel_dtype=tf.float32 if calibrated else tf.uint8)
    if fmt == 'tflite':
      # A quantization-aware trained net carries its ranges: no calibration.
      learned = model_building.quantization_aware(classifier.net)
      images = (calibration(config, setup, batch_size, input_kind)
                if calibrated and not learned else None)
      model = tflite_export.convert(function, quantize, images, config['tflite_io'])
      if config['edgetpu']:
        edgetpu.check(model)
    else:
      model = onnx_export.convert(function)
      onnx_export.check(model, function)
    write_model = _file_writer(fmt, model)
    done = '%s, %s input [%d, %d, %d, 3]%s' % (
        MODEL_FILES[fmt], input_kind, batch_size, setup.image_size, setup.image_size,
        ', quantized %s' % quantize if fmt == 'tflite' and quantize != 'none' else '')
  write_export_dir(config['export_dir'], write_model, setup, config, info, config['overwrite'])
  report('%s: %s with labels.txt and config.yaml' % (config['export_dir'], done))
  if config['edgetpu']:
    report('ready for the Edge TPU compiler: edgetpu_compiler %s'
           % os.path.join(config['export_dir'], MODEL_FILES['tflite']))


def _file_writer(fmt, data):
  def write(directory):
    tf.io.gfile.makedirs(directory)
    with open(os.path.join(directory, MODEL_FILES[fmt]), 'wb') as f:
      f.write(data)
  return write


def export_config(config, setup, info):
  """The export's config.yaml: what `serving.run_config` reads, and `export:` (`info`
  with the image size, checkpoint and its step)."""
  from engine import evaluation  # here: eval.py's module reads exports back (runtimes)
  return {
      'model_name': setup.spec.name, 'scope': dict(config['scope'] or {}),
      'weight_decay': config['weight_decay'], 'dataset_dir': config['dataset_dir'],
      'resolved': {'num_classes': setup.num_classes, 'labels_offset': config['labels_offset'],
                   'image_size': setup.image_size, 'preprocessing': setup.preprocessing,
                   'dataset': config['dataset_name']},
      'export': dict(info, image_size=setup.image_size, checkpoint=setup.checkpoint,
                     step=evaluation._step_of(setup.checkpoint)),
  }


def write_export_dir(export_dir, write_model, setup, config, info, overwrite=False):
  """Writes an export directory whole or not at all: `write_model(directory)` (the
  model's files), labels.txt and config.yaml (`export_config(config, setup, info)`). An
  existing one is replaced only with `overwrite`, and only once the new one is whole."""

  def write(tmp):
    write_model(tmp)
    records.write_labels(dict(enumerate(setup.label_names)), tmp)
    config_lib.write(export_config(config, setup, info), os.path.join(tmp, CONFIG_FILE))

  serving._replace_atomically(write, export_dir, overwrite, '--export_dir')


def calibration(config, setup, batch_size, input_kind):
  """fn() -> the calibration batches: --calibration_steps batches of `batch_size` images of
  --calibration_dataset/--calibration_split (default: the run's dataset, its train split)
  through eval.py's preprocessing (the pixels before its last step for input 'pixels')."""
  name = config['calibration_dataset'] or config['dataset_name']
  if not name and not config['dataset_dir']:
    raise ConfigError('int8 quantization calibrates on real images: give '
                      '--calibration_dataset (and --dataset_dir), or export a training run\'s '
                      'checkpoint (its dataset)')
  data = inputs.resolve(dict(config, dataset_name=name, labels_offset=0, num_classes=None,
                             dataset_split_name=config['calibration_split'] or 'train'),
                        setup.spec, ('train',), setup.image_size)
  preprocess = preprocessing_factory.get_preprocessing(setup.preprocessing, is_training=False)
  if input_kind == 'pixels':  # the model normalizes inside
    preprocess = functools.partial(preprocess, normalized=False)
  dataset = pipeline.make_dataset(
      data.split, image_size=setup.image_size, batch_size=batch_size, is_training=False,
      preprocessing=preprocess, drop_remainder=True)
  dataset = dataset.take(config['calibration_steps'])

  def batches():
    for images, _ in pipeline.iterate(dataset, data.split):
      yield images.numpy()

  return batches
