"""Whether a .tflite meets the Edge TPU compiler's published requirements (export.py --edgetpu).

The requirements are Coral's ("TensorFlow models on the Edge TPU", coral.ai/docs/edgetpu/
models-intro, "Supported operations" and "Model requirements"): every tensor 8-bit
quantized (int8 or uint8; a convolution's or fully connected layer's bias is int32, which is
what the compiler expects, and shapes, axes and paddings are int32 constants), every size
fixed at compile time, at most three dimensions larger than 1 (the innermost), one
subgraph, and every op in the supported list within its known limitations. The compiler
itself (`edgetpu_compiler`, from Coral's apt repository) is what maps the ops; this check
refuses, before it, what it could not map, naming the first op and why.
"""

import numpy as np

from engine import tflite_export
from engine.config import ConfigError

INT32_CONSTANT = 'int32'  # biases (the compiler's expectation), shapes, axes, paddings

# Each supported op -> its known limitation as a check of an `Op` returning why it fails,
# or None when the op has none.


def _fused_activation(op):
  if op.options is not None and getattr(op.options, 'fusedActivationFunction', 0):
    return 'it has a fused activation function, which the Edge TPU does not support here'
  return None


def _conv_dilation(op):
  if op.options.dilationHFactor != op.options.dilationWFactor:
    return 'its dilation differs in x and y (%d, %d)' % (op.options.dilationWFactor,
                                                          op.options.dilationHFactor)
  return None


def _depthwise_dilation(op):
  if (op.options.dilationHFactor, op.options.dilationWFactor) != (1, 1):
    return 'it is dilated, and dilated depthwise kernels are not supported'
  return None


def _axes(op, index):
  values = op.inputs[index].constant if len(op.inputs) > index else None
  if values is None:
    return None
  rank = len(op.inputs[0].shape)
  return [int(a) % max(rank, 1) for a in values.view(np.int32)]


def _not_batch_axis(index):
  def check(op):
    axes = _axes(op, index)
    if axes is None:
      return 'its axes are not a compile-time constant'
    if 0 in axes:
      return 'it works on the batch dimension, which the Edge TPU does not'
    return None
  return check


def _pad(op):
  paddings = op.inputs[1].constant
  if paddings is None:
    return 'its paddings are not a compile-time constant'
  if paddings.view(np.int32).reshape(-1, 2)[0].any():
    return 'it pads the batch dimension, which the Edge TPU does not'
  return None


def _pack(op):
  if op.options.axis == 0:
    return 'it packs along the batch dimension, which the Edge TPU does not'
  return None


def _strided_slice(op):
  strides = op.inputs[3].constant
  if strides is None or (strides.view(np.int32) != 1).any():
    return 'its strides are not all 1'
  if op.options.ellipsisMask or op.options.newAxisMask:
    return 'it has an ellipsis or new-axis mask'
  return None


def _softmax(op):
  shape = op.inputs[0].shape
  if sum(1 for d in shape if d != 1) > 1 or int(np.prod(shape)) > 16000:
    return ('its input %s is not one row of at most 16,000 elements (export with '
            '--batch_size=1)' % (list(shape),))
  return None


def _fully_connected(op):
  if op.options.weightsFormat != 0:
    return 'its weights are not in the default format'
  return None


def _concatenation(op):
  constants = [t for t in op.inputs if t.constant is not None]
  if constants and (len(op.inputs) != 2 or constants[0].constant.any()):
    return 'a constant input is allowed only as the zeros of a two-input concatenation'
  return _fused_activation(op)


SUPPORTED = {
    'ADD': None, 'AVERAGE_POOL_2D': _fused_activation, 'CONCATENATION': _concatenation,
    'CONV_2D': _conv_dilation, 'DEPTHWISE_CONV_2D': _depthwise_dilation, 'EXPAND_DIMS': None,
    'FULLY_CONNECTED': _fully_connected, 'L2_NORMALIZATION': None, 'LOGISTIC': None,
    'MAXIMUM': None, 'MAX_POOL_2D': _fused_activation, 'MEAN': _not_batch_axis(1),
    'MINIMUM': None, 'MUL': None, 'PACK': _pack, 'PAD': _pad, 'PRELU': None, 'QUANTIZE': None,
    'REDUCE_MAX': _not_batch_axis(1), 'REDUCE_MIN': _not_batch_axis(1), 'RELU': None,
    'RELU6': None, 'RELU_N1_TO_1': None, 'RESHAPE': None, 'RESIZE_BILINEAR': None,
    'RESIZE_NEAREST_NEIGHBOR': None, 'RSQRT': None, 'SLICE': None, 'SOFTMAX': _softmax,
    'SPACE_TO_DEPTH': None, 'SPLIT': _not_batch_axis(0), 'SQUARED_DIFFERENCE': None,
    'SQUEEZE': None, 'STRIDED_SLICE': _strided_slice, 'SUB': None, 'SUM': _not_batch_axis(1),
    'TANH': None, 'TRANSPOSE': None, 'TRANSPOSE_CONV': None,
}


def _tensor_problem(tensor):
  """Why one tensor does not suit the Edge TPU, or None."""
  if tensor.dtype not in tflite_export.INTEGER_TYPES + (INT32_CONSTANT,) or (
      tensor.dtype == INT32_CONSTANT and tensor.constant is None):
    return 'its tensor %r is %s, and the Edge TPU takes 8-bit quantized tensors only' % (
        tensor.name, tensor.dtype)
  if any(d < 0 for d in tensor.shape):
    return 'its tensor %r has a dynamic shape %s' % (tensor.name, list(tensor.shape))
  if tensor.constant is None and sum(1 for d in tensor.shape[:-3] if d != 1) > 0:
    return ('its tensor %r has the shape %s: only the three innermost dimensions may be '
            'larger than 1' % (tensor.name, list(tensor.shape)))
  return None


def problems(tflite_bytes):
  """Why the model does not meet the Edge TPU's requirements, or None when it does."""
  subgraphs = tflite_export.read_ops(tflite_bytes)
  if len(subgraphs) != 1:
    return 'the model has %d subgraphs; the Edge TPU runs one' % len(subgraphs)
  for op in subgraphs[0]:
    where = 'op %d %s' % (op.index, op.name)
    if op.name not in SUPPORTED:
      return '%s is not among the Edge TPU\'s supported operations' % where
    for tensor in op.inputs + op.outputs:
      problem = tensor is not None and _tensor_problem(tensor)
      if problem:
        return '%s: %s' % (where, problem)
    limitation = SUPPORTED[op.name] and SUPPORTED[op.name](op)
    if limitation:
      return '%s: %s' % (where, limitation)
  return None


def check(tflite_bytes):
  """Raises ConfigError naming the first op that the Edge TPU compiler could not map."""
  problem = problems(tflite_bytes)
  if problem:
    raise ConfigError('--edgetpu: %s (the Edge TPU compiler\'s requirements: '
                      'coral.ai/docs/edgetpu/models-intro)' % problem)
