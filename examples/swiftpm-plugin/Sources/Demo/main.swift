// Calls the softmax kernel compiled by the kevc plugin, checks every row against a Double reference and that a
// call with the wrong sizes throws.
import Foundation
import Kernels

let (m, n) = (300, 1000)
let x = (0..<m * n).map { Float(($0 * 37) % 101) / 17 - 3 }
var y = [Float](repeating: .nan, count: m * n)
try x.withUnsafeBufferPointer { xs in
  try y.withUnsafeMutableBufferPointer { ys in
    try softmax.run(M: m, N: n, x: xs.baseAddress!, y: ys.baseAddress!)
    do {
      try softmax.run(M: m, N: n + 1, x: xs.baseAddress!, y: ys.baseAddress!)
      print("error: a wrong shape was accepted")
      exit(1)
    } catch softmax.Failure.shape(let message) {
      print("wrong shape refused: \(message)")
    }
  }
}
var worst = 0.0
for r in 0..<m {
  let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
  let top = row.max() ?? 0
  let sum = row.reduce(0) { $0 + exp($1 - top) }
  for c in 0..<n { worst = max(worst, abs(Double(y[r * n + c]) - exp(row[c] - top) / sum)) }
}
print("softmax \(softmax.shape): worst error \(worst)")
exit(worst < 1e-5 ? 0 : 1)
