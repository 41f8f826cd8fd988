"""Exported classifiers read back, one interface for eval.py, predict.py and bench.py.

`load(path)` opens what export.py wrote: a `.tflite` file (the LiteRT
interpreter), a `.onnx` file (ONNX Runtime), a SavedModel directory (its
`classify_preprocessed` signature), or the export directory holding one. Each
`Runtime` maps a batch of any length of the images it takes, `input`
'preprocessed' (what eval.py's pipeline makes) or 'pixels' (the pipeline's
pixel values in [0, 255] before the last normalization), to float32 logits: a
fixed-batch model runs the batch in pieces, the last one padded; a quantized
input is quantized with its tensor's own parameters, a quantized output
dequantized.

The `config.yaml` export.py writes beside the model says what it is (`export:`
format, quantize, input, batch size, checkpoint, step) and how it was trained
(`serving.run_config` reads the model and dataset keys from it).
"""

import os

import numpy as np

from engine import config as config_lib
from engine.config import ConfigError

PREPROCESSED, PIXELS = 'preprocessed', 'pixels'
FORMATS = {'.tflite': 'tflite', '.onnx': 'onnx'}
PREPROCESSED_SIGNATURE = 'classify_preprocessed'
VALID = ('a .tflite or .onnx file or a SavedModel directory, or the export directory holding '
         'one (export.py writes them)')


def directory_of(path):
  """The export directory of a model file, or the SavedModel directory itself."""
  return path if os.path.isdir(path) else os.path.dirname(path) or '.'


def export_facts(path):
  """The `export:` mapping of the config.yaml beside a model ({} when there is none)."""
  config_file = os.path.join(directory_of(path), 'config.yaml')
  if not os.path.isfile(config_file):
    return {}
  return dict(config_lib.load_yaml(config_file).get('export') or {})


def label_names(path, num_classes):
  """The name of each class from labels.txt (`id:name`) beside a model, else the numbers."""
  from datasets import records
  directory = directory_of(path)
  names = {}
  if os.path.isfile(os.path.join(directory, records.LABELS_FILENAME)):
    names = records.read_labels(directory)
  return [names.get(i, str(i)) for i in range(num_classes)]


class Runtime:
  """An exported classifier: `logits(images)` of a batch of any length.

  Subclasses set `image_size`, `batch_size` (None: any), `num_classes` and
  implement `_logits(batch)` for one batch of `batch_size` in the dtype the
  model takes."""

  kind = None
  flag = '--model_file'

  def __init__(self, path, flag='--model_file'):
    self.path = path
    self.flag = flag
    self.export = export_facts(path)
    self.input = self.export.get('input', PREPROCESSED)
    if self.input not in (PREPROCESSED, PIXELS):
      raise ConfigError('%s: %s says input %r; valid: %s, %s' % (
          flag, os.path.join(directory_of(path), 'config.yaml'), self.input, PREPROCESSED,
          PIXELS))

  @property
  def description(self):
    """'format/quantize' of the export, as the results table shows it."""
    return '%s/%s' % (self.kind, self.export.get('quantize') or 'none')

  def _error(self, what):
    return ConfigError('%s: %s %s; valid: %s' % (self.flag, self.path, what, VALID))

  def logits(self, images):
    """float32 logits [N, classes] of float32 images [N, size, size, 3] (the kind
    `input` names)."""
    images = np.asarray(images, np.float32)
    expected = (self.image_size, self.image_size, 3)
    if images.ndim != 4 or images.shape[1:] != expected:
      raise ConfigError('%s: %s takes images [batch, %d, %d, 3], not %s' % (
          self.flag, self.path, self.image_size, self.image_size, list(images.shape)))
    if not self.batch_size:
      return self._logits(images)
    count, size = len(images), self.batch_size
    pieces = []
    for start in range(0, count, size):
      piece = images[start:start + size]
      if len(piece) < size:  # the model's batch is fixed: pad with copies of the last image
        piece = np.concatenate([piece, np.repeat(piece[-1:], size - len(piece), axis=0)])
      pieces.append(self._logits(piece))
    return np.concatenate(pieces)[:count] if pieces else np.zeros([0, self.num_classes],
                                                                  np.float32)


def _quantized(values, dtype, scale, zero_point):
  """`values` as the dtype an input tensor takes: round(value / scale + zero_point)
  clipped to its range when it is quantized (scale > 0), else rounded pixels for an
  integer input, else as they are."""
  dtype = np.dtype(dtype)
  if dtype.kind == 'f':
    return values.astype(dtype)
  if scale:
    values = values / scale + zero_point
  limits = np.iinfo(dtype)
  return np.clip(np.round(values), limits.min, limits.max).astype(dtype)


class TFLiteRuntime(Runtime):
  """A .tflite model in the LiteRT interpreter, one thread per core."""

  kind = 'tflite'

  def __init__(self, path, flag='--model_file', threads=None):
    super().__init__(path, flag)
    from ai_edge_litert.interpreter import Interpreter
    try:
      self._interpreter = Interpreter(model_path=path, num_threads=threads or os.cpu_count())
      self._interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as e:
      raise self._error('is not a TFLite model (%s)' % _first_line(e)) from None
    inputs = self._interpreter.get_input_details()
    if len(inputs) != 1 or len(inputs[0]['shape']) != 4 or inputs[0]['shape'][3] != 3:
      raise self._error('does not take one batch of RGB images [batch, size, size, 3]')
    self._input = inputs[0]
    self.batch_size, self.image_size = int(inputs[0]['shape'][0]), int(inputs[0]['shape'][1])
    self._output = self._logits_output()
    self.num_classes = int(self._output['shape'][-1])
    self.input_dtype = np.dtype(self._input['dtype'])

  def _logits_output(self):
    """The details of the 'logits' output (by the signature's names), else the first."""
    outputs = self._interpreter.get_output_details()
    signatures = self._interpreter.get_signature_list()
    for key in signatures:
      runner = self._interpreter.get_signature_runner(key)
      named = runner.get_output_details()
      if 'logits' in named:
        index = named['logits']['index']
        return next(d for d in outputs if d['index'] == index)
    return outputs[0]

  def _logits(self, batch):
    scale, zero_point = self._input['quantization']
    self._interpreter.set_tensor(self._input['index'],
                                 _quantized(batch, self._input['dtype'], scale, zero_point))
    self._interpreter.invoke()
    logits = self._interpreter.get_tensor(self._output['index'])
    scale, zero_point = self._output['quantization']
    if scale:
      return ((logits.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return logits.astype(np.float32)


class ONNXRuntime(Runtime):
  """A .onnx model in ONNX Runtime's CPU provider, one thread per core."""

  kind = 'onnx'

  def __init__(self, path, flag='--model_file', threads=None):
    super().__init__(path, flag)
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count()
    options.log_severity_level = 3
    try:
      self._session = onnxruntime.InferenceSession(path, options,
                                                   providers=['CPUExecutionProvider'])
    except Exception as e:  # noqa: BLE001 - onnxruntime's errors share no base class
      raise self._error('is not an ONNX model (%s)' % _first_line(e)) from None
    inputs = self._session.get_inputs()
    shape = inputs[0].shape if len(inputs) == 1 else []
    if len(shape) != 4 or shape[3] != 3 or not isinstance(shape[1], int):
      raise self._error('does not take one batch of RGB images [batch, size, size, 3]')
    self._input_name = inputs[0].name
    self.input_dtype = np.dtype(np.uint8 if inputs[0].type == 'tensor(uint8)' else np.float32)
    self.batch_size = shape[0] if isinstance(shape[0], int) else None
    self.image_size = shape[1]
    outputs = self._session.get_outputs()
    named = [o for o in outputs if o.name == 'logits'] or \
        [o for o in outputs if 'logits' in o.name] or outputs
    self._output_name = named[0].name
    self.num_classes = named[0].shape[-1]

  def _logits(self, batch):
    feed = {self._input_name: _quantized(batch, self.input_dtype, 0.0, 0)}
    return self._session.run([self._output_name], feed)[0].astype(np.float32)


class SavedModelRuntime(Runtime):
  """A SavedModel's `classify_preprocessed` signature (batch size free)."""

  kind = 'saved_model'

  def __init__(self, path, flag='--model_file'):
    super().__init__(path, flag)
    import tensorflow as tf
    try:
      loaded = tf.saved_model.load(path)
    except Exception as e:  # noqa: BLE001 - a damaged SavedModel fails in many ways
      raise self._error('is not a readable SavedModel (%s)' % _first_line(e)) from None
    if PREPROCESSED_SIGNATURE not in loaded.signatures:
      raise ConfigError('%s: %s has no %r signature (signatures: %s); export it again with '
                        'export.py' % (flag, path, PREPROCESSED_SIGNATURE,
                                       ', '.join(sorted(loaded.signatures))))
    self._loaded = loaded  # keeps the signature's variables alive
    self._signature = loaded.signatures[PREPROCESSED_SIGNATURE]
    (spec,) = self._signature.structured_input_signature[1].values()
    self._input_name = next(iter(self._signature.structured_input_signature[1]))
    self.input = PREPROCESSED
    self.image_size, self.batch_size = int(spec.shape[1]), None
    self.num_classes = int(self._signature.structured_outputs['logits'].shape[-1])
    self._tf = tf

  def _logits(self, batch):
    outputs = self._signature(**{self._input_name: self._tf.constant(batch)})
    return outputs['logits'].numpy()


def _first_line(error):
  return (str(error).strip().split('\n') or [''])[0][:200]


def load(path, flag='--model_file', threads=None):
  """The `Runtime` of an exported model: a .tflite or .onnx file or a SavedModel
  directory. Errors name `flag` and the file, and say what would be valid."""
  if not path:
    raise ConfigError('%s is empty; give %s' % (flag, VALID))
  if not os.path.exists(path):
    raise FileNotFoundError('%s: %s does not exist; give %s' % (flag, path, VALID))
  if os.path.isdir(path):
    if os.path.isfile(os.path.join(path, 'saved_model.pb')):
      return SavedModelRuntime(path, flag)
    inside = [os.path.join(path, 'model' + extension) for extension in FORMATS]
    inside = [name for name in inside if os.path.isfile(name)]
    if len(inside) != 1:  # an export directory holds one model
      raise ConfigError('%s: %s is a directory without saved_model.pb, model.tflite or '
                        'model.onnx; give %s' % (flag, path, VALID))
    path = inside[0]
  kind = FORMATS.get(os.path.splitext(path)[1].lower())
  if kind == 'tflite':
    return TFLiteRuntime(path, flag, threads)
  if kind == 'onnx':
    return ONNXRuntime(path, flag, threads)
  raise ConfigError('%s: %s is not %s' % (flag, path, VALID))


def classify_function(runtime, preprocessing_name, top_k=5):
  """fn(encoded image bytes [N]) -> the `serving.OUTPUTS` of the runtime's model, what
  predict.py's `classify_files` takes: each image decoded and prepared as eval.py's
  pipeline prepares it (the pixels for a model with 'pixels' input), class names
  from the labels.txt beside the model."""
  import tensorflow as tf

  from datasets import records
  from engine import serving
  from preprocessing import factory as preprocessing_factory
  preprocess = preprocessing_factory.get_preprocessing(preprocessing_name, is_training=False)
  size, normalized = runtime.image_size, runtime.input == PREPROCESSED
  names = tf.constant(label_names(runtime.path, runtime.num_classes))
  k = min(top_k, runtime.num_classes)

  def classify(image_bytes):
    images = np.stack([preprocess(records.decode_image(data), size, size,
                                  normalized=normalized).numpy() for data in image_bytes])
    return serving.outputs(tf.constant(runtime.logits(images)), k, names)

  return classify
