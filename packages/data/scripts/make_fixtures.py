#!/usr/bin/python3
"""Writes the test fixtures of @clusterflow/data from the real Fashion-MNIST test split.

Everything here is real pixels, cut small: an idx slice (gz and raw, plus damaged
copies), an idx4 colour file, CIFAR-format records (no CIFAR data is available
here, so each record stacks three Fashion-MNIST images as its R, G and B planes,
zero-padded from 28x28 to 32x32), and a folder of PNG/JPEG files.

Run from the repository root:  /usr/bin/python3 packages/data/scripts/make_fixtures.py
"""
import gzip
import os
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.join(HERE, '..', 'assets', 'fashion-mnist')
OUT = os.path.join(HERE, '..', 'test', 'fixtures')


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack('>' + 'I' * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def idx_bytes(arr):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack('>' + 'I' * arr.ndim, *arr.shape)
    return head + arr.tobytes()


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def gz(data):
    # mtime=0 so that regenerating gives byte-identical files.
    return gzip.compress(data, mtime=0)


def main():
    os.makedirs(OUT, exist_ok=True)
    images = read_idx(os.path.join(ASSETS, 't10k-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(ASSETS, 't10k-labels-idx1-ubyte.gz'))
    x, y = images[:64], labels[:64]

    # idx: the first 64 test images and labels, gzip and raw.
    write('fmnist64-images-idx3-ubyte.gz', gz(idx_bytes(x)))
    write('fmnist64-labels-idx1-ubyte.gz', gz(idx_bytes(y)))
    write('fmnist64-images-idx3-ubyte', idx_bytes(x))
    # Damaged copies: payload cut short (raw and inside a valid gzip stream), a cut
    # gzip stream, a wrong magic, and a labels file with fewer entries.
    full = idx_bytes(x)
    write('fmnist64-truncated-idx3-ubyte', full[:len(full) - 100])
    write('fmnist64-truncated-idx3-ubyte.gz', gz(full[:len(full) - 100]))
    write('fmnist64-cutgzip-idx3-ubyte.gz', gz(full)[:2000])
    write('bad-magic-idx3-ubyte', b'\x01\x02' + full[2:])
    write('fmnist32-labels-idx1-ubyte', idx_bytes(y[:32]))

    # idx4 [N, H, W, C]: 8 non-square colour samples; channel c of sample i is
    # Fashion-MNIST image i + c, rows 2..25 (so H=24, W=28, C=3).
    col = np.stack([x[i:i + 8, 2:26, :] for i in range(3)], axis=-1)
    write('fmnist8-color-idx4-ubyte', idx_bytes(col))

    # CIFAR-10 / CIFAR-100 binary records (channel-planar R, G, B, each 32x32 row-major).
    n = 6
    pad = np.zeros((n + 2, 32, 32), dtype=np.uint8)
    pad[:, 2:30, 2:30] = x[:n + 2]
    c10, c100 = bytearray(), bytearray()
    for i in range(n):
        planes = np.stack([pad[i], pad[i + 1], pad[i + 2]], axis=0).tobytes()
        c10 += bytes([int(y[i])]) + planes
        fine = (int(y[i]) * 7 + i) % 100
        c100 += bytes([int(y[i]), fine]) + planes
    write('cifar10-fmnist6.bin', bytes(c10))
    write('cifar100-fmnist6.bin', bytes(c100))
    write('cifar10-truncated.bin', bytes(c10[:len(c10) - 1000]))

    # Image folder: classes as sub-folders (named by Fashion-MNIST class), PNG and JPEG.
    names = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot']
    folder = os.path.join(OUT, 'image-folder')
    for i in range(12):
        cls = names[int(y[i])]
        os.makedirs(os.path.join(folder, cls), exist_ok=True)
        img = Image.fromarray(x[i], mode='L')
        if i % 4 == 3:
            img.save(os.path.join(folder, cls, f'{i:02d}.jpg'), quality=95)
        else:
            img.save(os.path.join(folder, cls, f'{i:02d}.png'))
    # A flat folder of colour images with two sizes (28x28 and 32x32 padded).
    mixed = os.path.join(OUT, 'image-folder-mixed')
    os.makedirs(mixed, exist_ok=True)
    for i in range(3):
        rgb = np.stack([x[i], x[i + 1], x[i + 2]], axis=-1)
        Image.fromarray(rgb, mode='RGB').save(os.path.join(mixed, f'a{i}.png'))
    rgb = np.stack([pad[0], pad[1], pad[2]], axis=-1)
    Image.fromarray(rgb, mode='RGB').save(os.path.join(mixed, 'b-padded.png'))


if __name__ == '__main__':
    main()
