"""NASNet-A and PNASNet (TF-Slim's nets.nasnet package): cells as data, one cell builder."""
