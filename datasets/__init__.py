"""Datasets in TF-Slim's TFRecord format, their converters, and the input pipeline.

  records    the Example format, image decoding, labels.txt
  catalog    datasets by name (imagenet, flowers, cifar10, mnist, the embedded
             digits) or by directory: `get_split(name, split, dataset_dir)`
  pipeline   `make_dataset(split, ...)`: shards -> preprocessed batches, and
             bad data traced to its file and record
  writer     sharded, all-or-nothing split writing
  files      small files (labels, configs, results) written whole or not at all
  sources    what converters read (image folders, CIFAR-10, MNIST, ImageNet)
  convert    `python -m datasets.convert {images,cifar10,mnist,imagenet}`
  make_digits  builds the embedded demo dataset in datasets/digits/
"""
