"""A small numpy interpreter for the ONNX operators model-export's graphs use.

It runs an exported graph independently of PyTorch: the tests check that the ONNX file (not only the PyTorch
module) computes the documented outputs, and `evaluate --model` scores the very file the job loads where
onnxruntime is not installed (Debian has no onnxruntime for Python, and its onnx 1.12 has no `onnx.reference`).
Only the operators and attributes our exporter emits are supported; anything else raises, so a new operator in
the graph fails loudly instead of being mis-evaluated.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper


def _np_dtype(onnx_type: int):
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):  # onnx >= 1.13
        return onnx.helper.tensor_dtype_to_np_dtype(onnx_type)
    from onnx.mapping import TENSOR_TYPE_TO_NP_TYPE
    return TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    group = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, oc, oh, ow), dtype=np.float32)
    ocg = oc // group
    for g in range(group):
        xg = x[:, g * icg:(g + 1) * icg]
        cols = np.empty((n, icg, kh, kw, oh, ow), dtype=np.float32)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, i, j] = xg[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
        wg = w[g * ocg:(g + 1) * ocg]
        out[:, g * ocg:(g + 1) * ocg] = np.tensordot(cols, wg, axes=([1, 2, 3], [1, 2, 3])).transpose(0, 3, 1, 2)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _resize(x, roi, scales, sizes, a):
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = a.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    nm = a.get("nearest_mode", b"round_prefer_floor")
    nm = nm.decode() if isinstance(nm, bytes) else nm
    if mode != "nearest" or ctm != "asymmetric" or nm != "floor":
        raise NotImplementedError(f"Resize {mode}/{ctm}/{nm}")
    if sizes is not None and sizes.size:
        out_shape = [int(s) for s in sizes]
    else:
        out_shape = [int(np.floor(d * s)) for d, s in zip(x.shape, scales)]
    for axis, (d_in, d_out) in enumerate(zip(x.shape, out_shape)):
        if d_in != d_out:
            scale = d_out / d_in if sizes is not None and sizes.size else scales[axis]
            idx = np.minimum(np.floor(np.arange(d_out) / scale).astype(np.int64), d_in - 1)
            x = np.take(x, idx, axis=axis)
    return x


def _topk(x, k, a):
    axis = a.get("axis", -1)
    largest = a.get("largest", 1)
    k = int(np.asarray(k).reshape(-1)[0])
    # Stable order like ORT: ties keep the lower index first.
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis=axis), idx.astype(np.int64)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
    steps = [1] * len(starts) if steps is None else [int(v) for v in steps]
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        dim = x.shape[ax]
        s, e = int(s), int(e)
        if st > 0:
            s = max(0, min(dim, s + dim if s < 0 else s))
            e = max(0, min(dim, e + dim if e < 0 else e))
        else:
            s = max(-1, min(dim - 1, s + dim if s < 0 else s))
            e = max(-1, min(dim - 1, e + dim if e < 0 else e))
            if e == -1:
                e = None
        sl[ax] = slice(s, e, st)
    return x[tuple(sl)]


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    env: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = [numpy_helper.to_array(a["value"])]
        elif op == "Identity":
            out = [ins[0]]
        elif op == "Conv":
            out = [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
        elif op == "LeakyRelu":
            alpha = np.float32(a.get("alpha", 0.01))
            out = [np.where(ins[0] >= 0, ins[0], ins[0] * alpha).astype(np.float32)]
        elif op == "Sigmoid":
            out = [(1.0 / (1.0 + np.exp(-ins[0]))).astype(np.float32)]
        elif op == "Relu":
            out = [np.maximum(ins[0], 0)]
        elif op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power,
                 "Max": np.maximum, "Min": np.minimum}[op]
            r = ins[0]
            for other in ins[1:]:
                r = f(r, other)
            out = [r.astype(ins[0].dtype)]
        elif op == "Abs":
            out = [np.abs(ins[0])]
        elif op == "Sqrt":
            out = [np.sqrt(ins[0])]
        elif op == "Log":
            out = [np.log(ins[0])]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
        elif op == "Pad":
            pads, n = ins[1].astype(np.int64), ins[0].ndim
            mode = a.get("mode", b"constant")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            width = [(int(pads[i]), int(pads[i + n])) for i in range(n)]
            if mode == "constant":
                value = ins[2] if len(ins) > 2 and ins[2] is not None else 0
                out = [np.pad(ins[0], width, mode="constant", constant_values=value)]
            else:
                out = [np.pad(ins[0], width, mode={"reflect": "reflect", "edge": "edge"}[mode])]
        elif op == "Resize":
            out = [_resize(ins[0], ins[1], ins[2] if len(ins) > 2 else None, ins[3] if len(ins) > 3 else None, a)]
        elif op == "Cast":
            out = [ins[0].astype(_np_dtype(a["to"]))]
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = [ins[0].reshape(shape)]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [ins[0].reshape(int(np.prod(ins[0].shape[:ax], dtype=np.int64)), -1)]
        elif op == "Shape":
            out = [np.array(ins[0].shape, dtype=np.int64)]
        elif op == "Unsqueeze":
            axes = sorted(int(v) for v in ins[1])
            r = ins[0]
            for ax in axes:
                r = np.expand_dims(r, ax)
            out = [r]
        elif op == "Squeeze":
            out = [np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=a["axis"])]
        elif op == "Slice":
            out = [_slice(ins[0], ins[1], ins[2], ins[3] if len(ins) > 3 else None, ins[4] if len(ins) > 4 else None)]
        elif op == "Split":
            axis = a.get("axis", 0)
            if len(ins) > 1 and ins[1] is not None:
                bounds = np.cumsum([int(v) for v in ins[1]])[:-1]
            else:
                bounds = len(node.output)
            out = np.split(ins[0], bounds, axis=axis)
        elif op == "ReduceMean":
            axes = tuple(a["axes"]) if "axes" in a else None
            out = [np.mean(ins[0], axis=axes, keepdims=bool(a.get("keepdims", 1))).astype(ins[0].dtype)]
        elif op == "TopK":
            out = list(_topk(ins[0], ins[1], a))
        else:
            raise NotImplementedError(f"ONNX op {op} is not supported by the numpy reference interpreter "
                                      "(install onnxruntime to evaluate this model)")
        for name, value in zip(node.output, out):
            env[name] = value
    return {o.name: env[o.name] for o in model.graph.output}
