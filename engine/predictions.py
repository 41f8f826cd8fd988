"""What predict.py does with image files: read them, classify them in batches,
and report the top classes as text, CSV or JSON."""

import csv
import io
import json
import os

import tensorflow as tf

from datasets import files, records
from datasets.records import DataError
from engine import config as config_lib

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.gif', '.bmp')


def image_files(arguments):
  """The image paths named on the command line; a directory stands for its images."""
  if not arguments:
    raise DataError('no images given: name image files or directories after the flags')
  paths = []
  for argument in arguments:
    if os.path.isdir(argument):
      found = sorted(os.path.join(argument, name) for name in os.listdir(argument)
                     if name.lower().endswith(IMAGE_EXTENSIONS))
      if not found:
        raise DataError('directory %s holds no images (%s)' % (argument,
                                                               ', '.join(IMAGE_EXTENSIONS)))
      paths.extend(found)
    elif not os.path.exists(argument):
      raise FileNotFoundError('image %s does not exist' % argument)
    else:
      paths.append(argument)
  return paths


def _read(path):
  with open(path, 'rb') as f:
    data = f.read()
  if records.image_format(data) is None:
    raise DataError('%s is not an image: predict.py reads JPEG, PNG, GIF and BMP files' % path)
  return data


def classify_files(classify, paths, batch_size=32):
  """[{'image', 'predictions': [{'class', 'label', 'probability'}]}] for each path.

  `classify` maps a batch of encoded images to the outputs of
  `serving.Classifier`; an image that does not decode is named in the error."""
  results = []
  for start in range(0, len(paths), batch_size):
    batch = paths[start:start + batch_size]
    data = [_read(path) for path in batch]
    try:
      outputs = classify(tf.constant(data))
    except tf.errors.InvalidArgumentError as e:
      raise DataError(_undecodable(batch, data) or records.error_text(e)) from None
    for index, path in enumerate(batch):
      results.append({'image': path, 'predictions': [
          {'class': int(c), 'label': label.decode(), 'probability': float(p)}
          for c, label, p in zip(outputs['classes'][index].numpy(),
                                 outputs['labels'][index].numpy(),
                                 outputs['scores'][index].numpy(), strict=True)]})
  return results


def _undecodable(paths, data):
  """'<path> cannot be decoded: ...' for the first image of a batch that fails alone."""
  for path, encoded in zip(paths, data, strict=True):
    try:
      records.decode_image(tf.constant(encoded))
    except tf.errors.InvalidArgumentError as e:
      return '%s cannot be decoded as an image: %s' % (path, records.error_text(e))
  return None


def lines(results):
  """One line per image: `path: label (probability), ...`."""
  for result in results:
    yield '%s: %s' % (result['image'], ', '.join(
        '%s (%.4f)' % (p['label'], p['probability']) for p in result['predictions']))


def _csv_text(results):
  out = io.StringIO()
  writer = csv.writer(out)
  writer.writerow(['image', 'rank', 'class', 'label', 'probability'])
  for result in results:
    for rank, p in enumerate(result['predictions'], 1):
      writer.writerow([result['image'], rank, p['class'], p['label'], '%.6f' % p['probability']])
  return out.getvalue()


def check_output(path):
  """Checks --output before the images are classified: its extension, and that its
  folder can be written (made when missing). Returns the extension."""
  extension = os.path.splitext(path)[1].lower()
  if extension not in ('.csv', '.json'):
    raise DataError('--output: %s must end in .csv or .json' % path)
  config_lib.writable_dir(os.path.dirname(path) or '.', "--output's folder")
  return extension


def write(results, path):
  """Writes the results as CSV or JSON by the file's extension, atomically."""
  extension = check_output(path)
  text = _csv_text(results) if extension == '.csv' else json.dumps(results, indent=1) + '\n'
  files.write_whole(path, text)
