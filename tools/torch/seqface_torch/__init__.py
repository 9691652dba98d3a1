"""PyTorch counterparts of seqcurate's trainer (SeqTrain): datasets over `seqcurate export`
output, face_res20net, the LSRO and DSA losses, the margin heads, and checkpoint conversion.
See tools/torch/README.md."""
from .model import FaceResNet, PReLU
from .losses import LSROLoss, DSALoss, MarginHead
from .data import Preprocess, ListDataset, ShardDataset, MixedBatchSampler, read_list

__all__ = ["FaceResNet", "PReLU", "LSROLoss", "DSALoss", "MarginHead", "Preprocess", "ListDataset",
           "ShardDataset", "MixedBatchSampler", "read_list"]
