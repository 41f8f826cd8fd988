"""Converts models to TFLite and ONNX in a fresh process (the TFLite converter leaks memory
with each conversion) and prints how far each conversion's logits are from TensorFlow's.

  python tests/export_formats_worker.py JOBS_JSON OUT_DIR

JOBS_JSON maps each model name to {'size': image size or null, 'formats': [...]}, a
format being a --quantize value of TFLite ('none', 'float16', 'dynamic') or 'onnx'. The
net gets seeded weights (tests/seeded_weights.py) and 7 classes; each conversion of the
same fixed-batch function is run on one seeded preprocessed image. One line per model:
RESULT {"model", "errors": {format: max |logits - TF's| / max |TF's|}, "cpu_seconds":
{format: the conversion's}}. Each .tflite is written to OUT_DIR/<model>_<format>.tflite.
"""

import json
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine  # noqa: E402,F401 - oneDNN as the binaries have it, set before TensorFlow loads
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

NUM_CLASSES = 7


def tflite_logits(model, images):
  from ai_edge_litert.interpreter import Interpreter
  runner = Interpreter(model_content=model).get_signature_runner()
  return runner(images=images)['logits']


def onnx_logits(model, images):
  import onnxruntime
  session = onnxruntime.InferenceSession(model, providers=['CPUExecutionProvider'])
  return session.run(['logits'], {session.get_inputs()[0].name: images})[0]


def main():
  import seeded_weights
  from engine import flags, onnx_export, tflite_export
  from engine.model_building import build_network
  from nets import registry
  jobs, out_dir = json.loads(sys.argv[1]), sys.argv[2]
  for name, job in jobs.items():
    spec = registry.get(name)
    size = job['size'] or spec.default_image_size
    net = build_network(spec, flags.defaults(flags.COMMON), NUM_CLASSES)
    net(tf.zeros([1, size, size, 3]), training=False)
    seeded_weights.assign_eager(net.variables)
    function = tflite_export.inference_function(net, size, 1)
    images = np.random.RandomState(1).uniform(-1, 1, [1, size, size, 3]).astype(np.float32)
    expected = function(tf.constant(images))['logits'].numpy()
    errors, seconds = {}, {}
    for fmt in job['formats']:
      start = time.process_time()
      if fmt == 'onnx':
        logits = onnx_logits(onnx_export.convert(function), images)
      else:
        model = tflite_export.convert(function, fmt)
        with open(os.path.join(out_dir, '%s_%s.tflite' % (name, fmt)), 'wb') as f:
          f.write(model)
        logits = tflite_logits(model, images)
      errors[fmt] = float(np.abs(logits - expected).max() / np.abs(expected).max())
      seconds[fmt] = round(time.process_time() - start, 1)
    print('RESULT ' + json.dumps({'model': name, 'errors': errors, 'cpu_seconds': seconds}),
          flush=True)


if __name__ == '__main__':
  main()
