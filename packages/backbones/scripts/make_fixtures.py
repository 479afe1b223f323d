#!/usr/bin/env python3
"""Reference values for @clusterflow/backbones tests, computed with PyTorch.

Run with Debian's interpreter: /usr/bin/python3 make_fixtures.py
Writes ../test/fixtures/*.json. Weights are written in TF.js layout (linear
[in, out], conv [kh, kw, in, out]) under the state keys the TS modules use, so
tests load them with setState; inputs and outputs are NHWC. Math is float64.
"""
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def t(x):
    """A tensor as {shape, data}, data flat in row-major order, rounded to 9 digits."""
    x = x.detach().contiguous()
    return {'shape': list(x.shape), 'data': [float('%.9g' % v) for v in x.reshape(-1).tolist()]}


def nhwc(x):
    return x.permute(0, 2, 3, 1) if x.dim() == 4 else x


def tf_param(name, p):
    """PyTorch parameter -> TF.js layout."""
    if p.dim() == 2:
        return p.t()
    if p.dim() == 4:
        return p.permute(2, 3, 1, 0)
    return p


def state_tf(module):
    return {k: t(tf_param(k, v)) for k, v in module.state_dict().items() if not k.endswith('num_batches_tracked')}


def write(name, obj):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')


def randomize_bn(bn):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)


# --- BatchNorm: two training steps (running stats), then inference ---------------
def bn_case(bn, inputs_nchw, momentum, eps):
    randomize_bn(bn)
    case = {'momentum': momentum, 'eps': eps, 'initial': state_tf(bn), 'steps': []}
    bn.train()
    for x in inputs_nchw:
        y = bn(x)
        case['steps'].append({'input': t(nhwc(x)), 'output': t(nhwc(y)), 'state': state_tf(bn)})
    bn.eval()
    xe = inputs_nchw[0] * 0.5 + 0.25
    case['eval'] = {'input': t(nhwc(xe)), 'output': t(nhwc(bn(xe)))}
    return case


bn = {
    'bn1d': bn_case(nn.BatchNorm1d(4), [torch.randn(6, 4) * 2 + 1, torch.randn(6, 4)], 0.1, 1e-5),
    'bn2d': bn_case(nn.BatchNorm2d(3, momentum=0.3, eps=1e-3),
                    [torch.randn(2, 3, 3, 4) * 1.5 - 0.5, torch.randn(2, 3, 3, 4)], 0.3, 1e-3),
}
write('batch_norm.json', bn)

# --- linear and mlpHead --------------------------------------------------------
lin = nn.Linear(5, 3)
xl = torch.randn(4, 5)
head = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 6), nn.BatchNorm1d(6), nn.ReLU(),
                     nn.Linear(6, 3))
for m in head:
    if isinstance(m, nn.BatchNorm1d):
        randomize_bn(m)
head_initial = state_tf(head)
xh = torch.randn(8, 5)
head.train()
y_train = head(xh)
head_after = state_tf(head)
head.eval()
y_eval = head(xh)
head_nobn = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
write('heads.json', {
    'linear': {'state': state_tf(lin), 'input': t(xl), 'output': t(lin(xl))},
    'mlpHead': {'dims': [5, 7, 6, 3], 'state': head_initial, 'input': t(xh), 'trainOutput': t(y_train),
                'stateAfterTrain': head_after, 'evalOutput': t(y_eval),
                'softmaxEvalOutput': t(torch.softmax(y_eval, dim=1))},
    'mlpHeadNoBn': {'dims': [5, 7, 3], 'state': state_tf(head_nobn), 'input': t(xh), 'output': t(head_nobn(xh))},
})


# --- ConvNet: forward and gradient in training mode, then inference ---------------
class ConvNet(nn.Module):
    """Mirror of convnet.ts: conv3x3-BN-ReLU(-maxpool2) per channel count, GAP, linear."""

    def __init__(self, in_c, channels, feature_dim):
        super().__init__()
        layers = []
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(in_c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            if i + 1 < len(channels):
                layers.append(nn.MaxPool2d(2))
            in_c = c
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(in_c, feature_dim)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


channels, feature_dim = [8, 16, 32], 10
net = ConvNet(2, channels, feature_dim)
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        randomize_bn(m)
initial = state_tf(net)
x = torch.randn(3, 2, 10, 10)  # 10 -> 5 -> 2: the second pool floors an odd size
w = torch.randn(3, feature_dim)  # loss = sum(out * w): every output gets a distinct gradient
net.train()
out = net(x)
loss = (out * w).sum()
loss.backward()
grads = {k: t(tf_param(k, p.grad)) for k, p in net.named_parameters()}
after = state_tf(net)
net.eval()
with torch.no_grad():
    out_eval = net(x)
write('convnet.json', {
    'options': {'channels': channels, 'featureDim': feature_dim, 'batchNorm': True},
    'inputShape': [10, 10, 2], 'state': initial, 'input': t(nhwc(x)), 'lossWeights': t(w),
    'trainOutput': t(out), 'loss': loss.item(), 'grads': grads, 'stateAfterTrain': after,
    'evalOutput': t(out_eval),
})


# --- ResNet-18, CIFAR stem: parameter counts and state names/shapes ---------------
class BasicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.downsample = None
        if stride != 1 or in_c != out_c:
            self.downsample = nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride, bias=False), nn.BatchNorm2d(out_c))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18Cifar(nn.Module):
    """torchvision's resnet18 with conv1 = 3x3 stride 1, maxpool = Identity, and no fc."""

    def __init__(self, num_classes=None):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_c = 64
        for i, (c, s) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)]):
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(BasicBlock(in_c, c, s), BasicBlock(c, c, 1)))
            in_c = c
        self.fc = nn.Linear(512, num_classes) if num_classes else None

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        for i in range(4):
            x = getattr(self, 'layer%d' % (i + 1))(x)
        x = x.mean(dim=(2, 3))
        return x if self.fc is None else self.fc(x)


def count(m):
    return sum(p.numel() for p in m.parameters())


r = ResNet18Cifar()
r10 = ResNet18Cifar(10)
shapes = {k: list(tf_param(k, v).shape) for k, v in r.state_dict().items() if not k.endswith('num_batches_tracked')}
write('resnet18_cifar.json', {
    'trainableParams': count(r),
    'trainableParamsWithFc10': count(r10),
    'bufferValues': sum(v.numel() for k, v in r.state_dict().items()
                        if k.endswith('running_mean') or k.endswith('running_var')),
    'stateShapes': shapes,
    'outputShape': list(r(torch.randn(2, 3, 8, 8)).shape),
})
print('resnet18-cifar params', count(r), 'with fc10', count(r10))


# --- default parameter counts of the mlp and convnet backbones ---------------------
class ConvNetNoBn(nn.Module):
    """The throughput reference's network (torch_steps.py CNN): biased convs, no BN."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(64, 128, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(128, 128)


dec = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 2000), nn.ReLU(),
                    nn.Linear(2000, 10))
write('counts.json', {
    'mlp_784_default': count(dec),
    'convnet_28x28x1_default': count(ConvNet(1, [32, 64, 128], 128)),
    'convnet_28x28x1_default_buffers': sum(v.numel() for k, v in ConvNet(1, [32, 64, 128], 128).state_dict().items()
                                           if not k.endswith('num_batches_tracked')) - count(ConvNet(1, [32, 64, 128], 128)),
    'convnet_28x28x1_nobn': count(ConvNetNoBn()),
})


# --- ResNet-18 forward with formula weights (no 11M-value fixture) -----------------
def formula(key, tf_shape):
    """The deterministic values resnet18.spec's `formulaState` builds, in TF.js layout.

    v[i] = sin(0.37 i + phase), phase = (sum of the key's char codes mod 97) / 10.
    Conv kernels get He-like scale 2 / sqrt(fan_in) (sin has variance 1/2); BN gets
    γ = 1 + 0.1 v, β = 0.1 v, running_mean = 0.1 v, running_var = 1 + 0.5 v².
    """
    n = 1
    for d in tf_shape:
        n *= d
    phase = (sum(ord(c) for c in key) % 97) / 10
    v = torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + phase).reshape(tf_shape)
    if key.endswith('weight') and len(tf_shape) == 4:
        return v * (2 / (tf_shape[0] * tf_shape[1] * tf_shape[2]) ** 0.5)
    if key.endswith('running_var'):
        return 1 + 0.5 * v * v
    if key.endswith('bn1.weight') or key.endswith('bn2.weight') or key.endswith('downsample.1.weight'):
        return 1 + 0.1 * v
    return 0.1 * v


rf = ResNet18Cifar()
sd = rf.state_dict()
with torch.no_grad():
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        tf_shape = list(tf_param(k, v).shape)
        val = formula(k, tf_shape)
        sd[k].copy_(val.permute(3, 2, 0, 1) if val.dim() == 4 else val)
rf.eval()
xr = torch.sin(0.11 * torch.arange(2 * 3 * 8 * 8, dtype=torch.float64)).reshape(2, 8, 8, 3)  # NHWC
with torch.no_grad():
    yr = rf(xr.permute(0, 3, 1, 2))
write('resnet18_cifar_forward.json', {'inputShape': [8, 8, 3], 'input': t(xr), 'evalOutput': t(yr)})
