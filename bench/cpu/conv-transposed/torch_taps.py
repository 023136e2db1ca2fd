#!/usr/bin/env python3
"""Does PyTorch's CPU ConvTranspose3d skip the taps that fall on the zero padding?

conv_transposed3d's CPU shape (N=8, C=F=16, 16^3, K=3, stride 1) three ways on one thread, alternated, medians:
torch's own conv_transpose3d (oneDNN `deconvolution_direct`, ONEDNN_VERBOSE=1 shows it), the same values as a
correlation with the flipped kernel over an input padded by K - 1 = 2 on every side (conv3d on the pre-padded copy:
every one of the 27 taps computed at every output), and conv3d with padding=2 (oneDNN's forward convolution with
implicit padding). If the transposed one costs about the useful fraction of the taps, (16 * 3 / 18)^3 = 0.70, of the
pre-padded correlation, it skips the padding taps.
"""
import torch, time
torch.set_num_threads(1)
x=torch.randn(8,16,16,16,16); w=torch.randn(16,16,3,3,3)
xp=torch.nn.functional.pad(x,(2,2,2,2,2,2))
wf=w.flip(2,3,4).transpose(0,1).contiguous()
a=torch.nn.functional.conv_transpose3d(x,w); b=torch.nn.functional.conv3d(xp,wf)
print("same", (a-b).abs().max().item())
def t(f):
    for _ in range(2): f()
    s=time.perf_counter()
    for _ in range(5): f()
    return (time.perf_counter()-s)/5*1e3
res={"deconv":[], "conv_prepadded":[], "conv_pad2":[]}
for r in range(5):
    res["deconv"].append(t(lambda: torch.nn.functional.conv_transpose3d(x,w)))
    res["conv_prepadded"].append(t(lambda: torch.nn.functional.conv3d(xp,wf)))
    res["conv_pad2"].append(t(lambda: torch.nn.functional.conv3d(x,wf,padding=2)))
import statistics
for k,v in res.items(): print(k, round(statistics.median(v),2), [round(z,1) for z in v])
