"""TensorFlow Lite conversion of the served net (export.py --format=tflite).

`inference_function` traces the net as a fixed-batch function of `images`
returning `logits` and `probabilities`: of the eval-preprocessed float images,
or of the pixels after the eval crop and resize (`input='pixels'`, the model's
normalisation inside, so an app feeds RGB bytes). `convert` makes a .tflite of
it: float, float16 weights, dynamic-range (int8 weights), int8 (weights and
activations calibrated on real images, float kernels where an op has no integer
one) or int8_full (every op an int8 builtin, 8-bit input and output: what the
Edge TPU runs). `read_ops` reads a .tflite's operators back from its flatbuffer.

The TF 2.21 converter leaks memory with each convert(); convert many models in
a child process.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from engine.config import ConfigError
from preprocessing import factory as preprocessing_factory

QUANTIZATIONS = ('none', 'float16', 'dynamic', 'int8', 'int8_full')
CALIBRATED = ('int8', 'int8_full')  # activations quantized: ranges from calibration images
INPUTS = ('preprocessed', 'pixels')
IO_TYPES = {'uint8': tf.uint8, 'int8': tf.int8}
OUTPUTS = ('logits', 'probabilities')


def inference_function(net, image_size, batch_size, input='preprocessed', preprocessing=None,
                       pixel_dtype=tf.uint8):
  """The net as a concrete function of `images` [batch_size, size, size, 3] -> {'logits',
  'probabilities'} (float32 [batch_size, classes]).

  Args:
    net: the `engine.Network`, its weights restored.
    image_size: the input's height and width.
    batch_size: the input's fixed batch.
    input: 'preprocessed': float32 images as the eval preprocessing leaves them;
      'pixels': pixel values after the eval crop and resize, which
      `preprocessing`'s last step (`normalize`) makes the model's input inside.
    preprocessing: with input='pixels', a preprocessing or model name.
    pixel_dtype: the 'pixels' input's dtype: uint8 (RGB bytes) for a float model;
      float32 values in [0, 255] for a calibrated quantization, whose converter
      makes the input 8-bit itself (a cast from uint8 has no int8 kernel).
  """
  if input not in INPUTS:
    raise ConfigError('input=%r: must be one of %s' % (input, ', '.join(INPUTS)))
  normalize = None
  if input == 'pixels':
    if not preprocessing:
      raise ConfigError("input='pixels' needs the preprocessing whose normalisation it holds")
    normalize = preprocessing_factory.get_preprocessing(preprocessing).normalize
  dtype = pixel_dtype if normalize else tf.float32
  spec = tf.TensorSpec([batch_size, image_size, image_size, 3], dtype, name='images')

  @tf.function(input_signature=[spec])
  def classify(images):
    if normalize:
      images = normalize(tf.cast(images, tf.float32))
    logits, _ = net(images, training=False)
    return {'logits': logits, 'probabilities': tf.nn.softmax(logits)}

  return classify.get_concrete_function()


def convert(concrete_fn, quantize='none', calibration=None, io_type='uint8'):
  """The .tflite bytes of `concrete_fn` (one of `inference_function`'s).

  Args:
    concrete_fn: the function to convert; its captured variables become constants.
    quantize: 'none', 'float16' (weights), 'dynamic' (int8 weights, float
      activations), 'int8' (int8 weights and activations, float fallback, float
      input and output) or 'int8_full' (every op an int8 builtin, `io_type`
      input and output).
    calibration: for int8 and int8_full, `fn()` -> an iterable of input arrays
      (each shaped as the function's input) whose activation ranges set the
      quantization. int8_full may go without for a model whose fake-quant ops
      (quantization-aware training) carry the ranges.
    io_type: int8_full's input and output type, 'uint8' or 'int8'.

  Raises:
    ConfigError: an unknown quantization or io_type, int8 without calibration
      images, or an int8_full model with an op left in float (named).
  """
  if quantize not in QUANTIZATIONS:
    raise ConfigError('--quantize=%s: must be one of %s' % (quantize, ', '.join(QUANTIZATIONS)))
  if io_type not in IO_TYPES:
    raise ConfigError('--tflite_io=%s: must be one of %s' % (io_type, ', '.join(IO_TYPES)))
  holder = tf.Module()  # what keeps the captured variables alive through the conversion
  holder.weights = list(concrete_fn.variables)
  converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_fn], holder)
  if quantize != 'none':
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
  if quantize == 'float16':
    converter.target_spec.supported_types = [tf.float16]
  if quantize in CALIBRATED:
    if calibration is not None:
      converter.representative_dataset = _representative(calibration, quantize)
    elif quantize == 'int8':
      raise ConfigError('--quantize=int8 needs calibration images (--calibration_dataset)')
  if quantize == 'int8_full':
    if calibration is None and not _has_fake_quant(concrete_fn):
      raise ConfigError('--quantize=int8_full: the model has no fake-quant ranges; give '
                        'calibration images (--calibration_dataset)')
    if calibration is not None:
      converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    # else a quantization-aware trained model: its fake-quant ops carry the ranges. TF 2.21
    # asks for a calibration set when the op set is int8 only, checked before it looks at
    # the graph (for a concrete function), so the op set stays the default and
    # `first_float_op` below refuses any op left in float all the same.
    converter.inference_input_type = converter.inference_output_type = IO_TYPES[io_type]
  try:
    model = converter.convert()
  except Exception as e:  # the converter's errors are many kinds, all a model it refuses
    reason = ' '.join(str(e).split())
    if quantize == 'int8_full' and calibration is None and 'min/max' in reason:
      raise ConfigError('--quantize=int8_full: the model has no fake-quant ranges; give '
                        'calibration images (--calibration_dataset)') from None
    raise ConfigError('the TFLite converter refused the model (--quantize=%s): %s'
                      % (quantize, reason[:400])) from None
  if quantize == 'int8_full':
    float_op = first_float_op(read_ops(model))
    if float_op:
      raise ConfigError('--quantize=int8_full: %s; TFLite has no int8 kernel for it, so the '
                        'model cannot be fully integer (try --quantize=int8, which keeps such '
                        'ops in float)' % float_op)
  return model


def _has_fake_quant(concrete_fn):
  """Whether the function (or one it calls) holds fake-quant ops: the ranges of a
  quantization-aware trained net."""
  graph_def = concrete_fn.graph.as_graph_def()
  nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
  return any(node.op.startswith('FakeQuantWithMinMax') for node in nodes)


def _representative(calibration, quantize):
  """The converter's representative dataset: each calibration array as float32."""
  first = next(iter(calibration()), None)
  if first is None:
    raise ConfigError('--quantize=%s: the calibration split holds no images (check '
                      '--calibration_dataset and --calibration_split)' % quantize)

  def batches():
    for images in calibration():
      yield [np.asarray(images, np.float32)]

  return batches


@dataclasses.dataclass
class Op:
  """One operator of a .tflite, in execution order."""
  index: int
  name: str               # the builtin's name (CONV_2D, ...) or the custom op's
  options: object         # its builtin options (schema object) or None
  inputs: list            # its input Tensors (None for an omitted optional input)
  outputs: list


@dataclasses.dataclass
class Tensor:
  name: str
  dtype: str              # 'float32', 'int8', 'uint8', 'int32', ...
  shape: tuple            # -1 where the size is dynamic
  constant: np.ndarray    # the data of a constant tensor (raw bytes as uint8), else None


def read_ops(tflite_bytes):
  """[[Op] of each subgraph] of a .tflite, read from its flatbuffer (the interpreter's
  op details leave out the options: fused activations, dilations, masks)."""
  from ai_edge_litert import schema_py_generated as schema
  model = schema.ModelT.InitFromPackedBuf(bytearray(tflite_bytes), 0)
  op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith('_')}
  type_names = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith('_')}

  def tensor(graph, index):
    if index < 0:
      return None
    t = graph.tensors[index]
    data = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
    shape = t.shapeSignature if t.shapeSignature is not None else t.shape
    return Tensor((t.name or b'').decode(), type_names.get(t.type, str(t.type)),
                  tuple(int(d) for d in (shape if shape is not None else ())),
                  None if data is None or not len(data) else np.asarray(data, np.uint8))

  subgraphs = []
  for graph in model.subgraphs:
    ops = []
    for index, op in enumerate(graph.operators or ()):
      code = model.operatorCodes[op.opcodeIndex]
      builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
      name = (code.customCode.decode() if builtin == schema.BuiltinOperator.CUSTOM
              else op_names.get(builtin, str(builtin)))
      ops.append(Op(index, name, op.builtinOptions,
                    [tensor(graph, i) for i in (op.inputs if op.inputs is not None else ())],
                    [tensor(graph, i) for i in (op.outputs if op.outputs is not None else ())]))
    subgraphs.append(ops)
  return subgraphs


INTEGER_TYPES = ('int8', 'uint8')


def first_float_op(subgraphs):
  """'op N NAME has ...' of the first op that computes in floating point (a float input,
  output or weight tensor), else None. The (de)quantizations around such an op are left
  out: the op they serve is the one to name."""
  for ops in subgraphs:
    for op in ops:
      if op.name in ('QUANTIZE', 'DEQUANTIZE'):
        continue
      for role, tensors in (('input', op.inputs), ('output', op.outputs)):
        for t in tensors:
          if t is not None and t.dtype.startswith('float'):
            return 'op %d %s has the %s %s tensor %r' % (op.index, op.name, t.dtype, role,
                                                         t.name)
  return None
