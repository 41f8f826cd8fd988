"""ONNX conversion of the served net (export.py --format=onnx), through tf2onnx.

`convert(concrete_fn)` converts the same fixed-batch function that TFLite gets
(`tflite_export.inference_function`): input `images`, outputs `logits` and
`probabilities`. `check(model, concrete_fn)` runs the result in onnxruntime
beside TensorFlow on one input, so an export that computes something else is
refused instead of written.
"""

import logging
import types

import numpy as np
import tensorflow as tf

from engine.config import ConfigError

OPSET = 17  # ONNX's opset of 2022: every op the nets need, run by any recent onnxruntime


def convert(concrete_fn):
  """The ONNX model (serialized bytes) of `concrete_fn`, its variables as initializers."""
  import tf2onnx
  logging.getLogger('tf2onnx').setLevel(logging.ERROR)  # its INFO lines narrate each pass
  signature = concrete_fn.structured_input_signature[0]
  # tf2onnx converts a tf.function through its get_concrete_function: give it ours.
  function = types.SimpleNamespace(get_concrete_function=lambda *_: concrete_fn)
  try:
    model, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=OPSET)
  except Exception as e:  # tf2onnx raises many kinds; each is a model it cannot convert
    raise ConfigError('--format=onnx: tf2onnx cannot convert the model: %s'
                      % ' '.join(str(e).split())[:400]) from None
  unconverted = sorted({node.op_type for node in model.graph.node
                        if node.domain not in ('', 'ai.onnx', 'ai.onnx.ml')})
  if unconverted:
    raise ConfigError('--format=onnx: tf2onnx has no ONNX form of the TensorFlow op(s) %s'
                      % ', '.join(unconverted))
  return model.SerializeToString()


def check(model_bytes, concrete_fn, tolerance=1e-3):
  """Runs the ONNX model in onnxruntime and `concrete_fn` in TensorFlow on one seeded
  input; raises ConfigError unless every output agrees within `tolerance` (relative to
  the largest logit)."""
  import onnxruntime
  try:
    session = onnxruntime.InferenceSession(model_bytes, providers=['CPUExecutionProvider'])
  except Exception as e:  # onnxruntime's load errors name the op it has no kernel for
    raise ConfigError('--format=onnx: onnxruntime cannot run the converted model: %s'
                      % ' '.join(str(e).split())[:400]) from None
  spec = concrete_fn.structured_input_signature[0][0]
  rng = np.random.RandomState(0)
  if spec.dtype == tf.uint8:
    images = rng.randint(0, 256, spec.shape).astype(np.uint8)
  else:
    images = rng.uniform(-1.0, 1.0, spec.shape).astype(np.float32)
  expected = {k: v.numpy() for k, v in concrete_fn(tf.constant(images)).items()}
  names = [output.name for output in session.get_outputs()]
  served = dict(zip(names, session.run(names, {session.get_inputs()[0].name: images}), strict=True))
  scale = max(1.0, float(np.abs(expected['logits']).max()))
  for key, value in expected.items():
    if key not in served:
      raise ConfigError('--format=onnx: the converted model has no %r output (it has %s)'
                        % (key, ', '.join(names)))
    difference = float(np.abs(served[key] - value).max())
    if difference > tolerance * scale:
      raise ConfigError('--format=onnx: onnxruntime computes %s %.3g away from TensorFlow'
                        % (key, difference))
