"""bertscope.Weights: what Model.weights returns, the checkpoint's tensors by HuggingFace name."""
from collections.abc import Mapping


class Weights(Mapping):
    """The checkpoint's tensors by their HuggingFace names, as float32 numpy arrays in HuggingFace's
    layout (bf16 and f16 widened exactly), each read from the model's files when asked for and not
    kept: hold the arrays you use. A Mapping: keys(), items(), `name in m.weights`, len()."""

    def __init__(self, raw):
        self._raw = raw
        self._names = raw.names()

    def __getitem__(self, name):
        if not isinstance(name, str) or not self._raw.contains(name):
            raise KeyError(f"{name!r} is not a tensor of {self._raw.origin()} (Model.weights.keys() lists them)")
        return self._raw.get(name)

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __contains__(self, name):
        return isinstance(name, str) and self._raw.contains(name)

    def shape(self, name):
        """A tensor's shape, without reading it."""
        if name not in self:
            raise KeyError(f"{name!r} is not a tensor of {self._raw.origin()}")
        return tuple(self._raw.shape(name))

    def __repr__(self):
        return f"<bertscope.Weights: {len(self)} tensors of {self._raw.origin()}>"
