"""What the reference generators share: the fixtures folder, the Fashion-MNIST test
images they start from, and how a reference is written (a temp file, then renamed,
so a failed run leaves the old fixture whole).

Imported by the make_*.py scripts beside it (Python puts a script's own folder on
the module path, so they run from anywhere).
"""
import gzip
import json
import os

import numpy as np

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def fmnist_images():
    """The 64 Fashion-MNIST test images of the bundled fixture, [64, 28, 28] uint8."""
    with gzip.open(os.path.join(FIX, 'fmnist64-images-idx3-ubyte.gz'), 'rb') as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(64, 28, 28)


def colour_crops():
    """Two 12x12 colour images whose R, G, B planes are test images 0, 1, 2 and 3, 4, 5
    (rows/cols 8..19): 2 x [12, 12, 3] uint8."""
    x = fmnist_images()[:, 8:20, 8:20]
    return [np.stack([x[0], x[1], x[2]], axis=-1), np.stack([x[3], x[4], x[5]], axis=-1)]


def write_json(name, obj, **dump_options):
    """Writes obj as JSON to the fixtures folder under name."""
    path = os.path.join(FIX, name)
    with open(path + '.tmp', 'w') as f:
        json.dump(obj, f, **dump_options)
    os.replace(path + '.tmp', path)
