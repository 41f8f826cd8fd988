"""Image preprocessing for classification, with TF-Slim's modules and API.

One module per recipe (`inception_preprocessing`, `vgg_preprocessing`,
`lenet_preprocessing`, `cifarnet_preprocessing`), the helpers they share in
`image_ops`, and `factory.get_preprocessing(name)` (also importable as
`preprocessing.preprocessing_factory`, TF-Slim's module name), which takes a
recipe name or a model name.

Every function maps one [height, width, channels] image to one float32 image,
eagerly, in a TF1 graph, or inside `tf.data.Dataset.map`.
"""
