"""export.py and predict.py: SavedModels that match eval.py, frozen graphs, and their errors.

One model of every image family is exported from a checkpoint with random
weights (batch-norm statistics included) and loaded in a fresh process; its
logits for JPEG and PNG files must equal those of eval.py's model on the same
images read through eval.py's input pipeline.
"""

import csv
import glob
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from binaries import run_binary
from datasets import records, writer
from engine import checkpoints, evaluation, flags, serving
from engine.model_building import build_network
from nets import registry

# One model of each image family (the Inception, MobileNet and NASNet families
# share their builders), at a small input size where the net allows one (VGG,
# AlexNet and OverFeat have fully connected layers of a fixed input size).
FAMILIES = {
    'lenet': None, 'cifarnet': None, 'alexnet_v2': None, 'overfeat': None, 'vgg_a': None,
    'inception_v3': 150, 'resnet_v1_50': 64, 'resnet_v2_50': 64, 'mobilenet_v1_025': 64,
    'mobilenet_v2_035': 64, 'nasnet_mobile': 64,
}
NUM_CLASSES = 7
LABELS = {i: 'class_%d' % i for i in range(NUM_CLASSES)}


def _images():
  """Encoded test images of different sizes and kinds, with their formats."""
  rng = np.random.RandomState(3)
  rgb = rng.randint(0, 256, [50, 40, 3]).astype(np.uint8)
  gray = rng.randint(0, 256, [37, 61, 1]).astype(np.uint8)
  rgba = rng.randint(0, 256, [30, 30, 4]).astype(np.uint8)
  return [(tf.io.encode_jpeg(rgb).numpy(), 'jpeg'), (tf.io.encode_png(gray).numpy(), 'png'),
          (tf.io.encode_png(rgba).numpy(), 'png')]


@pytest.fixture(scope='module')
def image_dir(tmp_path_factory):
  """The test images as files and as a one-shard dataset 'tiny' for eval.py."""
  directory = tmp_path_factory.mktemp('tiny')
  images = _images()
  for index, (data, fmt) in enumerate(images):
    (directory / ('image_%d.%s' % (index, 'jpg' if fmt == 'jpeg' else fmt))).write_bytes(data)
  writer.write_split(list(range(len(images))),
                     lambda i: records.image_example(images[i][0], images[i][1], i, 1, 1),
                     str(directory / 'data'), 'tiny', 'validation', 1)
  records.write_labels(LABELS, str(directory / 'data'))
  return directory


def _config(name, checkpoint, image_dir, eval_dir=None, **overrides):
  values = dict(model_name=name, checkpoint_path=str(checkpoint), num_classes=NUM_CLASSES,
                eval_image_size=FAMILIES.get(name), dataset_name='tiny',
                dataset_dir=str(image_dir / 'data'), batch_size=2,
                eval_dir=str(eval_dir or image_dir / 'eval'))
  values.update(overrides)
  return flags.defaults(flags.COMMON, flags.EVAL, flags.SERVE, flags.EXPORT, **values)


def _random_checkpoint(name, config, path):
  """A checkpoint of `name` with random weights and non-trivial batch-norm statistics."""
  spec = registry.get(name)
  net = build_network(spec, config, NUM_CLASSES)
  size = config['eval_image_size'] or spec.default_image_size
  net(tf.zeros([1, size, size, 3]), training=False)
  rng = np.random.RandomState(0)
  for variable in net.variables:
    if variable.name.endswith(('moving_mean:0', 'moving_variance:0')):
      low = 0.5 if 'variance' in variable.name else -0.2
      variable.assign(rng.uniform(low, low + 0.7, variable.shape).astype(np.float32))
  return tf.train.Checkpoint(net=net).write(str(path))


@pytest.fixture(scope='module')
def exported(image_dir, tmp_path_factory):
  """{model: (eval.py's logits, the SavedModel's logits in a fresh process, dir)}."""
  root = tmp_path_factory.mktemp('exported')
  expected, dirs = {}, {}
  for name in FAMILIES:
    config = _config(name, root / name / 'ckpt', image_dir, eval_dir=root / name / 'eval')
    config['checkpoint_path'] = _random_checkpoint(name, config, root / name / 'ckpt')
    evaluator = evaluation.Evaluator(config)
    evaluator.restore(config['checkpoint_path'])
    expected[name] = np.concatenate([evaluator.net(images, training=False)[0].numpy()
                                     for images, _ in evaluator.batches()])
    del evaluator
    config['image_size'] = config['eval_image_size']
    classifier, _ = serving.build(config)
    dirs[name] = str(root / name / 'saved_model')
    serving.save(classifier, dirs[name])
    del classifier
    for path in glob.glob(config['checkpoint_path'] + '*'):  # VGG's is half a gigabyte
      os.remove(path)
  files = sorted(str(p) for p in image_dir.glob('image_*'))
  script = (
      'import json, sys, numpy as np, tensorflow as tf\n'
      'dirs, files, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), {}\n'
      'data = tf.constant([open(f, "rb").read() for f in files])\n'
      'for name, path in dirs.items():\n'
      '  serve = tf.saved_model.load(path).signatures["serving_default"]\n'
      '  out[name] = serve(image_bytes=data)["logits"].numpy().tolist()\n'
      'print(json.dumps(out))\n')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  done = subprocess.run([sys.executable, '-c', script, json.dumps(dirs), json.dumps(files)],
                        capture_output=True, text=True, env=env, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  served = json.loads(done.stdout.strip().splitlines()[-1])
  yield {name: (expected[name], np.array(served[name]), dirs[name]) for name in FAMILIES}
  shutil.rmtree(root)


@pytest.mark.parametrize('name', list(FAMILIES))
def test_saved_model_in_a_fresh_process_gives_eval_logits(exported, name):
  expected, served, _ = exported[name]
  assert expected.shape == served.shape == (3, NUM_CLASSES)
  assert np.abs(expected).max() > 1e-3  # the comparison is not of zeros
  np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(
      expected).max()))


def test_outputs_names_and_float_images(exported, image_dir):
  _, _, path = exported['lenet']
  loaded = tf.saved_model.load(path)
  data = tf.constant([p.read_bytes() for p in sorted(image_dir.glob('image_*'))])
  outputs = loaded.signatures[serving.BYTES_SIGNATURE](image_bytes=data)
  assert sorted(outputs) == sorted(serving.OUTPUTS)
  probabilities = outputs['probabilities'].numpy()
  np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
  classes = outputs['classes'].numpy()
  assert classes.shape == (3, 5)
  np.testing.assert_array_equal(classes[:, 0], probabilities.argmax(axis=1))
  assert [name.decode() for name in outputs['labels'].numpy()[0]] == [
      LABELS[c] for c in classes[0]]
  # Float images in [0, 1] give what their 8-bit encoding gives.
  pixels = tf.io.decode_png(data[2], channels=3)
  floats = loaded.signatures[serving.IMAGES_SIGNATURE](
      images=tf.image.convert_image_dtype(pixels, tf.float32)[None])
  expected = outputs['logits'].numpy()[2]
  np.testing.assert_allclose(floats['logits'].numpy()[0], expected, rtol=1e-5,
                             atol=1e-5 * max(1.0, np.abs(expected).max()))


def test_frozen_graph_and_moving_averages(image_dir, tmp_path):
  config = _config('mobilenet_v1_025', tmp_path / 'ckpt', image_dir, image_size=64,
                   eval_image_size=64)
  prefix = _random_checkpoint('mobilenet_v1_025', config, tmp_path / 'ckpt')
  # A TF-Slim-style checkpoint with moving averages: the averages are the weights
  # plus one, so exporting them must change the logits.
  reader = tf.train.load_checkpoint(prefix)
  values = {name: reader.get_tensor(key)
            for name, (key, _) in checkpoints.variables_in(prefix).items()}
  with tf.Graph().as_default():
    saved = {name: tf.compat.v1.Variable(value, name=name) for name, value in values.items()}
    for name, value in values.items():
      if name.endswith(('weights', 'biases')):
        saved[name + '/ExponentialMovingAverage'] = tf.compat.v1.Variable(
            value + 0.01, name=name + '/ExponentialMovingAverage')
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      slim_prefix = tf.compat.v1.train.Saver(saved).save(session, str(tmp_path / 'slim.ckpt'))
  config['checkpoint_path'] = slim_prefix
  plain, setup = serving.build(config)
  averaged, _ = serving.build(dict(config, moving_average_decay=0.9999))
  data = tf.constant([p.read_bytes() for p in sorted(image_dir.glob('image_*'))])
  plain_logits = plain.classify_bytes(data)['logits'].numpy()
  averaged_logits = averaged.classify_bytes(data)['logits'].numpy()
  assert np.abs(plain_logits - averaged_logits).max() > 1e-3

  frozen = serving.write_frozen_graph(averaged, setup, str(tmp_path / 'frozen.pb'))
  assert not [n for n in frozen.node if n.op in ('VariableV2', 'VarHandleOp')]
  graph_def = tf.compat.v1.GraphDef()
  graph_def.ParseFromString((tmp_path / 'frozen.pb').read_bytes())
  prepared = tf.stack([averaged._prepared(records.decode_image(d)) for d in data])
  with tf.Graph().as_default() as graph:
    tf.compat.v1.import_graph_def(graph_def, name='')
    with tf.compat.v1.Session() as session:
      logits = session.run('logits:0', {'input:0': prepared.numpy()})
  np.testing.assert_allclose(logits, averaged_logits, rtol=1e-5, atol=1e-5)
  assert graph.get_tensor_by_name('probabilities:0').shape.as_list() == [None, NUM_CLASSES]


def test_export_and_predict_binaries_on_a_training_run(lenet_run, tmp_path):
  train_dir = lenet_run
  export_dir = tmp_path / 'exported'
  done = run_binary('export.py', '--checkpoint_path=%s' % train_dir,
                    '--export_dir=%s' % export_dir)
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'lenet, 10 classes named by dataset digits' in done.stdout  # from the run's config
  done = run_binary('export.py', '--checkpoint_path=%s' % train_dir,
                    '--export_dir=%s' % export_dir)
  assert done.returncode == 1 and 'pass --overwrite' in done.stderr
  assert (export_dir / 'saved_model.pb').exists()  # the earlier export is untouched
  done = run_binary('datasets/extract.py', '--output_dir=%s' % (tmp_path / 'images'),
                    '--count=3')
  assert done.returncode == 0, done.stderr[-2000:]
  images = sorted(str(p) for p in (tmp_path / 'images').iterdir())
  by_checkpoint = run_binary('predict.py', '--checkpoint_path=%s' % train_dir,
                             '--output=%s' % (tmp_path / 'a.json'), *images)
  by_saved_model = run_binary('predict.py', '--saved_model=%s' % export_dir,
                              '--output=%s' % (tmp_path / 'b.csv'), *images)
  assert by_checkpoint.returncode == by_saved_model.returncode == 0, by_saved_model.stderr
  a = json.loads((tmp_path / 'a.json').read_text())
  assert [r['image'] for r in a] == images and len(a[0]['predictions']) == 5
  assert a[0]['predictions'][0]['label'] in ('zero', 'one', 'two', 'three', 'four', 'five',
                                             'six', 'seven', 'eight', 'nine')
  rows = list(csv.DictReader(io.StringIO((tmp_path / 'b.csv').read_text())))
  assert len(rows) == 5 * 3
  for row in rows:  # the same top 5 through the checkpoint and the SavedModel
    p = a[images.index(row['image'])]['predictions'][int(row['rank']) - 1]
    assert (p['class'], p['label']) == (int(row['class']), row['label'])
    assert abs(p['probability'] - float(row['probability'])) < 1e-5
  printed = run_binary('predict.py', '--saved_model=%s' % export_dir, images[0])
  assert printed.returncode == 0 and printed.stdout.startswith(images[0] + ': ')


@pytest.mark.parametrize('program, args, message', [
    ('predict.py', ['--checkpoint_path={run}', '{not_image}'],
     r'not_image\.png is not an image: predict.py reads JPEG, PNG, GIF and BMP files'),
    ('predict.py', ['--checkpoint_path={run}', '{broken}'], r'broken\.png cannot be decoded'),
    ('predict.py', ['--checkpoint_path={run}', '/nowhere.jpg'], 'image /nowhere.jpg does not '
     'exist'),
    ('predict.py', ['--checkpoint_path={run}'], 'no images given'),
    ('predict.py', ['--saved_model={run}', '{image}'], 'is not a SavedModel directory'),
    ('predict.py', ['--saved_model={run}', '--top_k=3', '{image}'],
     '--top_k: a SavedModel reports the top_k it was exported with'),
    ('predict.py', ['--checkpoint_path={run}', '--output=x.txt', '{image}'],
     '--output: x.txt must end in .csv or .json'),
    ('predict.py', ['--checkpoint_path={run}', '--output=/proc/scopezoo/p.csv', '{image}'],
     "--output's folder=/proc/scopezoo cannot be written"),
    ('export.py', ['--model=lenet', '--checkpoint_path=/nowhere/model.ckpt',
                   '--export_dir=/tmp/x'], '--checkpoint_path: /nowhere/model.ckpt does not exist'),
    ('export.py', ['--model=cifarnet', '--checkpoint_path={ckpt}', '--export_dir={out}'],
     r'holds another model \(variables under LeNet\).*check --model_name'),
    ('export.py', ['--checkpoint_path={run}'], '--export_dir is required'),
    ('export.py', ['--model=i3d', '--checkpoint_path={run}', '--export_dir={out}'],
     'i3d classifies video clips'),
])
def test_user_errors_are_one_line(lenet_run, tmp_path, program, args, message):
  (tmp_path / 'not_image.png').write_text('hello')
  png = tf.io.encode_png(tf.zeros([8, 8, 3], tf.uint8)).numpy()
  (tmp_path / 'broken.png').write_bytes(png[:30])
  (tmp_path / 'image.png').write_bytes(png)
  values = dict(run=lenet_run, ckpt=checkpoints.find(str(lenet_run)), out=tmp_path / 'out',
                not_image=tmp_path / 'not_image.png', broken=tmp_path / 'broken.png',
                image=tmp_path / 'image.png')
  done = run_binary(program, *[a.format(**values) for a in args])
  assert done.returncode == 1, done.stdout[-2000:]
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith(program + ': error: ') and re.search(message, last), last
