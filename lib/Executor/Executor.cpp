//===- Executor.cpp - reference interpreter over qc -----------------------===//
#include "quantc/Executor/Executor.h"
#include "ExecutorImpl.h"
#include "Gemm.h"
#include "Strided.h"
#include "ExecutorInt.h"

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Support/Npz.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace mlir;
using namespace quantc;
using namespace quantc::exec;
namespace nx = quantc::numerics;

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor Tensor::makeFloat(Type et, ArrayRef<int64_t> shape) {
  Tensor t;
  t.kind = Kind::Float;
  t.elementType = et;
  t.shape.assign(shape.begin(), shape.end());
  t.f.assign(t.numElements(), 0.0f);
  return t;
}

FloatArena *&FloatArena::current() {
  thread_local FloatArena *arena = nullptr;
  return arena;
}

void FloatArena::recycle(Tensor &t) {
  // Small buffers are cheap to allocate; a bounded list keeps the search
  // short and the memory held to a few values' worth.
  if (t.kind != Tensor::Kind::Float || t.f.size() < 1024)
    return;
  if (spare.size() >= 16)
    spare.erase(spare.begin());
  spare.push_back(std::move(t.f));
}

Tensor exec::makeFloatOutput(Type et, ArrayRef<int64_t> shape) {
  Tensor t;
  t.kind = Tensor::Kind::Float;
  t.elementType = et;
  t.shape.assign(shape.begin(), shape.end());
  size_t n = t.numElements();
  if (FloatArena *arena = FloatArena::current()) {
    // The smallest spare buffer that holds n, if it wastes at most half.
    auto best = arena->spare.end();
    for (auto it = arena->spare.begin(); it != arena->spare.end(); ++it)
      if (it->size() >= n && it->size() <= 2 * n &&
          (best == arena->spare.end() || it->size() < best->size()))
        best = it;
    if (best != arena->spare.end()) {
      t.f = std::move(*best);
      arena->spare.erase(best);
      t.f.resize(n); // shrinking: the elements are left as they are
      return t;
    }
  }
  t.f.assign(n, 0.0f);
  return t;
}

Tensor exec::elementwiseResult(Operation *op, Env &env, const float *&src) {
  Type et = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  if (env.canTake(op->getOperand(0))) {
    Tensor r = env.take(op->getOperand(0));
    r.elementType = et;
    src = r.f.data(); // the buffer moves with r, its address stays
    return r;
  }
  const Tensor &a = env.get(op->getOperand(0));
  src = a.f.data();
  return makeFloatOutput(et, a.shape);
}

Tensor Tensor::makeBytes(Type et, ArrayRef<int64_t> shape) {
  Tensor t;
  t.kind = Kind::Bytes;
  t.elementType = et;
  t.shape.assign(shape.begin(), shape.end());
  t.bytes.assign(t.numElements(), 0);
  return t;
}

Tensor Tensor::makeInt(Type et, ArrayRef<int64_t> shape) {
  Tensor t;
  t.kind = Kind::Int;
  t.elementType = et;
  t.shape.assign(shape.begin(), shape.end());
  t.i.assign(t.numElements(), 0);
  return t;
}

func::FuncOp quantc::getEntryFunction(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  func::FuncOp only;
  int count = 0;
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isDeclaration()) {
      only = f;
      ++count;
    }
  if (count == 1)
    return only;
  emitError(module.getLoc()) << "module has no entry function: expected "
                                "func.func @main";
  return {};
}

std::vector<std::string> Executor::getInputNames() const {
  std::vector<std::string> names;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    if (auto n = fn.getArgAttrOfType<StringAttr>(i, "qc.name"))
      names.push_back(n.str());
    else
      names.push_back("input_" + std::to_string(i));
  }
  return names;
}

std::vector<std::string> Executor::getOutputNames() const {
  std::vector<std::string> names;
  for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i) {
    if (auto n = fn.getResultAttrOfType<StringAttr>(i, "qc.name"))
      names.push_back(n.str());
    else
      names.push_back("output_" + std::to_string(i));
  }
  return names;
}

//===----------------------------------------------------------------------===//
// Kernels of the interpreter
//===----------------------------------------------------------------------===//

namespace {
struct Interp : exec::Env {
  Executor::Observer *observer;
  std::function<bool(Operation *)> *watched;

  /// Whether the observer looks at `op` (its operands stay intact then).
  bool watches(Operation *op) const {
    return *observer && (!*watched || (*watched)(op));
  }

  template <typename F> LogicalResult binary(Operation *op, F f) {
    const Tensor &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    auto shape = broadcastOrError(op, a, b);
    if (failed(shape))
      return failure();
    // The lhs's last use with the result's shape: compute into its buffer
    // (each output element reads only its own lhs element).
    if (canTake(op->getOperand(0)) && a.shape == *shape &&
        op->getOperand(0) != op->getOperand(1)) {
      Tensor r = take(op->getOperand(0));
      broadcastApply(r.f.data(), r.shape, b.f.data(), b.shape, *shape,
                     r.f.data(), f);
      env[op->getResult(0)] = std::move(r);
      return success();
    }
    Tensor r = exec::makeFloatOutput(a.elementType, *shape);
    broadcastApply(a.f.data(), a.shape, b.f.data(), b.shape, *shape,
                   r.f.data(), f);
    env[op->getResult(0)] = std::move(r);
    return success();
  }

  bool isIntBinary(Operation *op) { return holdsInts(get(op->getOperand(0))); }

  /// Integer elementwise op (any width, Int or Bytes storage); results wrap
  /// to the element type (ExecutorInt.h).
  template <typename F> LogicalResult intBinary(Operation *op, F f) {
    const Tensor &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    auto shape = broadcastOrError(op, a, b);
    if (failed(shape))
      return failure();
    Type et = a.elementType;
    if (a.kind == Tensor::Kind::Int && b.kind == Tensor::Kind::Int) {
      Tensor r = Tensor::makeInt(et, *shape);
      bool wide = et.getIntOrFloatBitWidth() >= 64;
      broadcastApply(a.i.data(), a.shape, b.i.data(), b.shape, *shape,
                     r.i.data(), [&](int64_t x, int64_t y) {
                       int64_t v = f(x, y);
                       return wide ? v : wrapInt(et, v);
                     });
      env[op->getResult(0)] = std::move(r);
      return success();
    }
    std::vector<int64_t> av = intValues(a), bv = intValues(b), rv;
    rv.resize(ShapedType::getNumElements(*shape));
    broadcastApply(av.data(), a.shape, bv.data(), b.shape, *shape, rv.data(),
                   f);
    env[op->getResult(0)] = makeIntTensor(et, *shape, std::move(rv));
    return success();
  }

  LogicalResult matmul(qc::MatMulOp op) {
    const Tensor &a = get(op.getLhs()), &b = get(op.getRhs());
    auto dims = exec::matmulDims(op, a.shape, b.shape);
    if (failed(dims))
      return failure();
    int64_t M = dims->M, K = dims->K, N = dims->N;
    ArrayRef<int64_t> ab = dims->aBatch, bb = dims->bBatch;
    const SmallVector<int64_t> &batch = dims->batch;
    // sgemm (beta 0) writes every element.
    Tensor r = exec::makeFloatOutput(a.elementType, dims->resultShape());
    if (bb.empty() && M && N && K) {
      // [..., M, K] x [K, N]: one GEMM over all rows.
      int64_t rows = a.numElements() / K;
      exec::sgemm(false, false, rows, N, K, 1.0f, a.f.data(), K, b.f.data(),
                  N, 0.0f, r.f.data(), N);
      env[op.getResult()] = std::move(r);
      return success();
    }
    // Batch iteration via broadcast strides over matrices.
    SmallVector<int64_t> aMat(ab.begin(), ab.end()), bMat(bb.begin(), bb.end());
    auto sa = broadcastStrides(aMat, batch), sb = broadcastStrides(bMat, batch);
    std::vector<int64_t> aOff, bOff;
    forEachIndex(batch, sa, sb, [&](int64_t, int64_t ia, int64_t ib) {
      aOff.push_back(ia * M * K);
      bOff.push_back(ib * K * N);
    });
    exec::sgemmBatched((int64_t)aOff.size(), M, N, K, a.f.data(), aOff.data(),
                       b.f.data(), bOff.data(), r.f.data());
    env[op.getResult()] = std::move(r);
    return success();
  }

  LogicalResult reshape(qc::ReshapeOp op) {
    const Tensor &a = get(op.getInput());
    ArrayRef<int64_t> spec = op.getShape();
    SmallVector<int64_t> shape;
    int64_t known = 1, inferAt = -1;
    for (auto [i, d] : llvm::enumerate(spec)) {
      int64_t v = d;
      if (d == 0)
        v = a.shape[i];
      if (d == -1) {
        inferAt = i;
        shape.push_back(1);
        continue;
      }
      shape.push_back(v);
      known *= v;
    }
    int64_t n = a.numElements();
    if (inferAt >= 0) {
      if (known == 0 || n % known != 0)
        return op.emitError("cannot reshape ")
               << shapeStr(a.shape) << " to " << shapeStr(spec);
      shape[inferAt] = n / known;
    } else if (known != n) {
      return op.emitError("cannot reshape ")
             << shapeStr(a.shape) << " (" << n << " elements) to "
             << shapeStr(shape);
    }
    Tensor r = take(op.getInput());
    r.shape = shape;
    env[op.getResult()] = std::move(r);
    return success();
  }

  LogicalResult transpose(qc::TransposeOp op) {
    const Tensor &a = get(op.getInput());
    ArrayRef<int64_t> perm = op.getPerm();
    SmallVector<int64_t> outShape, srcStrides;
    SmallVector<int64_t> in = stridesOf(a.shape);
    for (int64_t p : perm) {
      outShape.push_back(a.shape[p]);
      srcStrides.push_back(in[p]);
    }
    Tensor r;
    r.kind = a.kind;
    r.elementType = a.elementType;
    r.shape = outShape;
    switch (a.kind) {
    case Tensor::Kind::Float: r.f = exec::makeFloatOutput(a.elementType, outShape).f; break;
    case Tensor::Kind::Int: r.i.resize(a.i.size()); break;
    case Tensor::Kind::Bytes: r.bytes.resize(a.bytes.size()); break;
    }
    exec::copyStrided(r, a, 0, outShape, srcStrides);
    env[op.getResult()] = std::move(r);
    return success();
  }

  LogicalResult quantize(qc::QuantizeOp op) {
    // The verifier admits MX schemes blocked along the last axis only.
    qc::SchemeAttr s = op.getScheme();
    const Tensor &a = get(op.getInput());
    int64_t k = a.shape.empty() ? 1 : a.shape.back();
    int64_t rows = k ? a.numElements() / k : 0;
    int64_t b = s.getInnerBlock(), nb = (k + b - 1) / b;
    Tensor codes = Tensor::makeBytes(s.getElementType(), a.shape);
    SmallVector<int64_t> scaleShape(a.shape);
    if (!scaleShape.empty())
      scaleShape.back() = nb;
    Tensor scales = Tensor::makeBytes(s.getScaleType(), scaleShape);
    nx::quantizeMX(a.f.data(), rows, k, b, *toFormat(s.getElementType()),
                   nx::MXScaleMode::Floor, codes.bytes.data(),
                   scales.bytes.data());
    env[op.getCodes()] = std::move(codes);
    env[op.getScales()] = std::move(scales);
    return success();
  }

  LogicalResult dequantize(qc::DequantizeOp op) {
    qc::SchemeAttr s = op.getScheme();
    const Tensor &c = get(op.getCodes()), &sc = get(op.getScales());
    int64_t k = c.shape.empty() ? 1 : c.shape.back();
    int64_t rows = k ? c.numElements() / k : 0;
    Tensor r = Tensor::makeFloat(op.getType().getElementType(), c.shape);
    nx::dequantizeMX(c.bytes.data(), sc.bytes.data(), rows, k,
                     s.getInnerBlock(), *toFormat(s.getElementType()),
                     r.f.data());
    env[op.getResult()] = std::move(r);
    return success();
  }

  /// Emulates the kernels: per K block an fp32 partial sum of exact products
  /// in k order, then acc = fma(partial, sa * sb, acc).
  LogicalResult qmatmul(qc::QMatMulOp op) {
    const Tensor &a = get(op.getLhs()), &as = get(op.getLhsScales());
    const Tensor &b = get(op.getRhs()), &bs = get(op.getRhsScales());
    int64_t K = a.shape.back(), N = b.shape[0];
    if (b.shape[1] != K)
      return op.emitError("qmatmul reduction dims differ at run time: ")
             << K << " vs " << b.shape[1];
    int64_t M = K ? a.numElements() / K : 0;
    int64_t blk = op.getLhsScheme().getInnerBlock(), nb = (K + blk - 1) / blk;
    auto fa = *toFormat(op.getLhsScheme().getElementType());
    auto fb = *toFormat(op.getRhsScheme().getElementType());
    float ta[256], tb[256], ts[256];
    for (int c = 0; c < 256; ++c) {
      ta[c] = nx::decode(fa, c);
      tb[c] = nx::decode(fb, c);
      ts[c] = nx::decodeE8M0(c);
    }
    std::vector<float> da(a.bytes.size()), db(b.bytes.size());
    for (size_t i = 0; i < da.size(); ++i)
      da[i] = ta[a.bytes[i]];
    for (size_t i = 0; i < db.size(); ++i)
      db[i] = tb[b.bytes[i]];
    SmallVector<int64_t> outShape(ArrayRef<int64_t>(a.shape).drop_back());
    outShape.push_back(N);
    Tensor r = Tensor::makeFloat(op.getType().getElementType(), outShape);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        const float *pa = da.data() + m * K, *pb = db.data() + n * K;
        float acc = 0.0f;
        for (int64_t kb = 0; kb < nb; ++kb) {
          float partial = 0.0f;
          for (int64_t k = kb * blk, ke = std::min(K, k + blk); k < ke; ++k)
            partial += pa[k] * pb[k];
          float scale = ts[as.bytes[m * nb + kb]] * ts[bs.bytes[n * nb + kb]];
          acc = std::fma(partial, scale, acc);
        }
        r.f[m * N + n] = acc;
      }
    env[op.getResult()] = std::move(r);
    return success();
  }

  LogicalResult constant(arith::ConstantOp op) {
    if (isa<DenseResourceElementsAttr>(op.getValue()))
      return resourceConstant(op);
    auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!attr || !type)
      return op.emitError("the Executor supports dense tensor constants only");
    Type et = type.getElementType();
    Tensor t;
    if (et.isF32() && !attr.isSplat()) {
      // Weights: a straight copy (the APFloat path below costs ~50 ns per
      // element, which dominated CNN latency).
      t = Tensor::makeFloat(et, type.getShape());
      ArrayRef<char> raw = attr.getRawData();
      if ((int64_t)raw.size() != t.numElements() * 4)
        return op.emitError("unexpected storage for constant of ") << et;
      std::memcpy(t.f.data(), raw.data(), raw.size());
    } else if (isFloatish(et)) {
      t = Tensor::makeFloat(et, type.getShape());
      int64_t i = 0;
      for (APFloat v : attr.getValues<APFloat>()) {
        bool lost;
        v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
        t.f[i++] = v.convertToFloat();
      }
    } else if (isBytesType(et)) {
      t = Tensor::makeBytes(et, type.getShape());
      ArrayRef<char> raw = attr.getRawData();
      if (attr.isSplat())
        std::fill(t.bytes.begin(), t.bytes.end(), (uint8_t)raw[0]);
      else if ((int64_t)raw.size() == t.numElements())
        std::memcpy(t.bytes.data(), raw.data(), raw.size());
      else
        return op.emitError("unexpected storage for constant of ") << et;
    } else if (isa<IntegerType>(et)) {
      t = Tensor::makeInt(et, type.getShape());
      int64_t i = 0;
      bool isUnsigned = et.isUnsignedInteger();
      for (APInt v : attr.getValues<APInt>())
        t.i[i++] = isUnsigned || et.isInteger(1) ? (int64_t)v.getZExtValue()
                                                 : v.getSExtValue();
    } else {
      return op.emitError("the Executor does not support constants of ") << et;
    }
    env[op.getResult()] = std::move(t);
    return success();
  }

  /// A dense_resource constant (imported weights): read from its blob.
  LogicalResult resourceConstant(arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    FailureOr<ConstantBytes> raw = getConstantBytes(op.getValue());
    if (!type || failed(raw))
      return op.emitError("dense_resource constant of ")
             << op.getType()
             << " has no data or data of the wrong size (was it printed "
                "with its resources elided?)";
    Type et = type.getElementType();
    Tensor t;
    if (isFloatish(et)) {
      t = Tensor::makeFloat(et, type.getShape());
      if (failed(getConstantFloats(op.getValue(), t.f)))
        return op.emitError("the Executor supports dense_resource float "
                            "constants of f32 only, not ")
               << et;
    } else if (isBytesType(et)) {
      t = Tensor::makeBytes(et, type.getShape());
      std::memcpy(t.bytes.data(), raw->data.data(), t.bytes.size());
    } else if (auto it = dyn_cast<IntegerType>(et)) {
      t = Tensor::makeInt(et, type.getShape());
      int64_t w = raw->data.size() / std::max<int64_t>(1, t.numElements());
      for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
        APInt v(w * 8, 0);
        llvm::LoadIntFromMemory(v, (const uint8_t *)raw->data.data() + i * w,
                                w);
        t.i[i] = it.isUnsigned() ? (int64_t)v.getZExtValue()
                                 : v.trunc(it.getWidth()).getSExtValue();
      }
    } else {
      return op.emitError("the Executor does not support constants of ") << et;
    }
    env[op.getResult()] = std::move(t);
    return success();
  }

  /// Shows the observer (if any) the operands and results of `op`.
  void notify(Operation *op) {
    if (!watches(op))
      return;
    SmallVector<const Tensor *> ops, res;
    for (Value v : op->getOperands())
      ops.push_back(&get(v));
    for (Value v : op->getResults())
      res.push_back(&get(v));
    (*observer)(op, ops, res);
  }

  /// The body's ops in order; a convolution's batch norm and ReLU in one
  /// pass over its result (same bits), unless an observer must see the
  /// values in between.
  LogicalResult fusion(qc::FusionOp f) {
    SmallVector<Operation *> epi = f.getEpilogue();
    size_t done = 0;
    bool watchedBody = watches(f.getAnchor()) ||
                       llvm::any_of(epi, [&](Operation *e) {
                         return watches(e);
                       });
    if (auto conv = dyn_cast<qc::ConvOp>(f.getAnchor());
        conv && !watchedBody) {
      qc::BatchNormOp bn;
      qc::ReluOp relu;
      if ((bn = dyn_cast<qc::BatchNormOp>(epi[done])))
        ++done;
      if (done < epi.size() && (relu = dyn_cast<qc::ReluOp>(epi[done])))
        ++done;
      if (done) {
        if (failed(exec::runConvWithEpilogue(conv, bn, relu, *this)))
          return failure();
      }
    }
    SmallVector<Operation *> rest;
    if (!done)
      rest.push_back(f.getAnchor());
    rest.append(epi.begin() + done, epi.end());
    for (Operation *op : rest) {
      keepOperands = watches(op);
      if (failed(step(op)))
        return failure();
      notify(op);
    }
    Value last = epi.back()->getResult(0);
    Tensor r = std::move(env.find(last)->second);
    env.erase(last);
    env[f.getResult()] = std::move(r);
    return success();
  }

  /// Runs one op through the kernel registry (one dispatch for every op).
  LogicalResult step(Operation *op) {
    if (exec::KernelFn fn =
            exec::getKernelRegistry().lookup(op->getName().getStringRef()))
      return fn(op, *this);
    return op->emitError("the Executor does not support '")
           << op->getName() << "'";
  }
};
/// The core ops' kernels (Interp's methods): every kernel the registry
/// calls gets the running Interp as its Env.
void registerCoreKernels(KernelRegistry &r) {
#define QC_CORE_KERNEL(OP, BODY)                                               \
  r.add(OP::getOperationName(), [](Operation *o, Env &env) -> LogicalResult {  \
    Interp &in = static_cast<Interp &>(env);                                   \
    auto op = cast<OP>(o);                                                     \
    BODY                                                                       \
  })
  QC_CORE_KERNEL(qc::FusionOp, return in.fusion(op););
  QC_CORE_KERNEL(arith::ConstantOp, return in.constant(op););
  QC_CORE_KERNEL(qc::MatMulOp, return in.matmul(op););
  QC_CORE_KERNEL(qc::AddOp, {
    return in.isIntBinary(op) ? in.intBinary(op, [](int64_t x, int64_t y) {
      return (int64_t)((uint64_t)x + (uint64_t)y);
    }) : in.binary(op, [](float x, float y) { return x + y; });
  });
  QC_CORE_KERNEL(qc::SubOp, {
    return in.isIntBinary(op) ? in.intBinary(op, [](int64_t x, int64_t y) {
      return (int64_t)((uint64_t)x - (uint64_t)y);
    }) : in.binary(op, [](float x, float y) { return x - y; });
  });
  QC_CORE_KERNEL(qc::MulOp, {
    return in.isIntBinary(op) ? in.intBinary(op, [](int64_t x, int64_t y) {
      return (int64_t)((uint64_t)x * (uint64_t)y);
    }) : in.binary(op, [](float x, float y) { return x * y; });
  });
  QC_CORE_KERNEL(qc::DivOp, {
    if (!in.isIntBinary(op))
      return in.binary(op, [](float x, float y) { return x / y; });
    for (int64_t d : intValues(in.get(op.getRhs())))
      if (d == 0)
        return LogicalResult(op.emitError("integer division by zero"));
    if (in.get(op.getLhs()).elementType.isUnsignedInteger())
      return in.intBinary(op, [](int64_t x, int64_t y) {
        return (int64_t)((uint64_t)x / (uint64_t)y);
      });
    return in.intBinary(op, [](int64_t x, int64_t y) {
      // INT64_MIN / -1 overflows in C++; ONNX leaves it undefined, we wrap.
      return y == -1 ? (int64_t)(0 - (uint64_t)x) : x / y;
    });
  });
  QC_CORE_KERNEL(qc::ReluOp, {
    Tensor r = in.take(op.getInput());
    float *x = r.f.data();
    parallelFor((int64_t)r.f.size(), kElemGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        x[i] = exec::reluValue(x[i]);
    });
    in.env[op.getResult()] = std::move(r);
    return success();
  });
  QC_CORE_KERNEL(qc::ReshapeOp, return in.reshape(op););
  QC_CORE_KERNEL(qc::TransposeOp, return in.transpose(op););
  QC_CORE_KERNEL(qc::QuantizeOp, return in.quantize(op););
  QC_CORE_KERNEL(qc::DequantizeOp, return in.dequantize(op););
  QC_CORE_KERNEL(qc::QMatMulOp, return in.qmatmul(op););
#undef QC_CORE_KERNEL
}
} // namespace

void Executor::planConstantCache() {
  constantOps.clear();
  cachedValues.clear();
  constantCache.clear();
  Block &body = fn.getBody().front();
  // Every qc/arith op is a function of its operands (the dialect has no
  // side effects or randomness), so one whose operands are all constant
  // gives the same results on every run.
  for (Operation &op : body) {
    StringRef dialect = op.getName().getDialectNamespace();
    if ((dialect != "qc" && dialect != "arith") || op.getNumRegions())
      continue;
    if (llvm::all_of(op.getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return def && constantOps.contains(def);
        }))
      constantOps.insert(&op);
  }
  for (Operation *op : constantOps)
    for (Value v : op->getResults())
      if (llvm::any_of(v.getUsers(), [&](Operation *u) {
            return !constantOps.contains(u);
          }))
        cachedValues.insert(v);
  cachePlanned = true;
}

/// glibc gives a freed block of 128 KiB or more back to the kernel (munmap,
/// or a trim of the heap's top) and faults the next one in page by page,
/// zeroed: with a tensor allocated and freed per op, page faults were a
/// third of a calibration run (`perf`: clear_page, exc_page_fault under the
/// tensors' zero fill). With both thresholds at 1 GiB, freed tensor memory
/// stays in the heap for the next op: GPT-2's in-process compile over 256
/// samples takes 0.13 -> 0.08 s, peak memory within 1% (docs/Performance.md,
/// "Calibration speed against ONNX Runtime"). Process-wide and once; the
/// environment variable QUANTC_RETAIN_HEAP=0 leaves glibc's defaults.
static void retainFreedMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char *env = std::getenv("QUANTC_RETAIN_HEAP");
    if (env && std::strcmp(env, "0") == 0)
      return;
#if defined(__GLIBC__)
    // (A glibc older than 2.35 takes mmap thresholds up to 32 MiB only;
    // without a raised mmap threshold, a raised trim threshold alone would
    // turn glibc's own dynamic threshold off and help nothing.)
    if (mallopt(M_MMAP_THRESHOLD, 1 << 30) ||
        mallopt(M_MMAP_THRESHOLD, 32 << 20))
      mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  });
}

FailureOr<std::vector<Tensor>> Executor::run(ArrayRef<Tensor> inputs) {
  retainFreedMemory();
  if (inputs.size() != fn.getNumArguments())
    return fn.emitError("expected ") << fn.getNumArguments()
                                     << " inputs, got " << inputs.size();
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("the Executor runs single-block functions");
  Interp in;
  in.observer = &observer;
  in.watched = &watched;
  Block &body = fn.getBody().front();
  if (!arenaPtr)
    arenaPtr = std::make_shared<exec::FloatArena>();
  exec::FloatArena &arena = *arenaPtr;
  struct ArenaScope {
    FloatArena *saved;
    explicit ArenaScope(FloatArena *a) : saved(FloatArena::current()) {
      FloatArena::current() = a;
    }
    ~ArenaScope() { FloatArena::current() = saved; }
  } arenaScope(&arena);
  // An observer sees every op of every run: no caching then.
  bool caching = cacheConstants && !observer;
  if (!cachePlanned)
    planConstantCache();
  in.constantOps = &constantOps;
  if (caching) {
    in.cache = &constantCache;
    if (!cacheFilled)
      constantCache.clear(); // an earlier run failed part-way
  }
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      return fn.emitError("argument ") << i << " is not a ranked tensor";
    const Tensor &t = inputs[i];
    // The storage must match the argument's element type, or ops would read
    // the wrong (possibly empty) vector.
    Tensor::Kind kind = isFloatish(type.getElementType()) ? Tensor::Kind::Float
                        : isBytesType(type.getElementType()) ? Tensor::Kind::Bytes
                                                             : Tensor::Kind::Int;
    size_t stored = kind == Tensor::Kind::Float   ? t.f.size()
                    : kind == Tensor::Kind::Bytes ? t.bytes.size()
                                                  : t.i.size();
    if (t.kind != kind || (int64_t)stored != t.numElements())
      return fn.emitError("input '")
             << getInputNames()[i] << "' does not hold " << type.getElementType()
             << " data of its shape";
    bool ok = t.shape.size() == (size_t)type.getRank();
    for (size_t d = 0; ok && d < t.shape.size(); ++d)
      ok = type.isDynamicDim(d) || type.getDimSize(d) == t.shape[d];
    if (!ok)
      return fn.emitError("input '")
             << getInputNames()[i] << "' has shape " << shapeStr(t.shape)
             << " but the model expects " << shapeStr(type.getShape());
    in.env[arg] = t;
  }
  // Values die after their last use (by a top-level op): freeing them then
  // keeps the working set small and lets later results reuse the memory.
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    op.walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        lastUse[v] = &op;
    });
  llvm::DenseMap<Operation *, SmallVector<Value, 4>> dying;
  for (auto [v, op] : lastUse)
    dying[op].push_back(v);
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<Tensor> out;
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        // The last mention of a value computed in this run: hand its
        // buffer over instead of copying it.
        auto it = in.env.find(v);
        bool lastMention = llvm::none_of(
            ret.getOperands().drop_front(i + 1), [&](Value w) { return w == v; });
        if (it != in.env.end() && lastMention)
          out.push_back(std::move(it->second));
        else
          out.push_back(in.get(v));
      }
      if (caching)
        cacheFilled = true;
      return out;
    }
    // Constant ops ran in an earlier run, which cached what later ops read.
    if (caching && cacheFilled && constantOps.contains(&op))
      continue;
    std::chrono::steady_clock::time_point t0;
    if (profiling)
      t0 = std::chrono::steady_clock::now();
    in.keepOperands = in.watches(&op);
    if (failed(in.step(&op)))
      return failure();
    if (caching && !cacheFilled && constantOps.contains(&op))
      for (Value v : op.getResults())
        if (cachedValues.contains(v)) {
          auto it = in.env.find(v);
          if (it == in.env.end())
            continue; // not produced as itself (never so today: kept safe)
          constantCache[v] = std::move(it->second);
          in.env.erase(it);
        }
    if (profiling) {
      // A fusion by its ops: "qc.conv+batch_norm+relu".
      std::string name = op.getName().getStringRef().str();
      if (auto f = dyn_cast<qc::FusionOp>(op)) {
        name = f.getAnchor()->getName().getStringRef().str();
        for (Operation *e : f.getEpilogue())
          name += "+" + e->getName().stripDialect().str();
      }
      OpProfile &p = profile[name];
      if (!p.count++)
        p.name = name;
      p.seconds += std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
    }
    // A fusion's observer calls were made for its body's ops.
    if (!isa<qc::FusionOp>(op))
      in.notify(&op);
    auto release = [&](Value v) {
      auto found = in.env.find(v);
      if (found == in.env.end())
        return;
      arena.recycle(found->second);
      in.env.erase(found);
    };
    auto it = dying.find(&op);
    if (it != dying.end())
      for (Value v : it->second)
        release(v);
    for (Value v : op.getResults())
      if (v.use_empty())
        release(v);
  }
  return fn.emitError("function has no return");
}

std::vector<Executor::OpProfile> Executor::getProfile() const {
  std::vector<OpProfile> out;
  for (const auto &e : profile)
    out.push_back(e.second);
  llvm::sort(out, [](const OpProfile &a, const OpProfile &b) {
    return a.seconds > b.seconds || (a.seconds == b.seconds && a.name < b.name);
  });
  return out;
}

FailureOr<std::vector<Tensor>> Executor::randomInputs(int64_t batch,
                                                      uint64_t seed) const {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (auto [i, ty] : llvm::enumerate(fn.getArgumentTypes())) {
    auto type = cast<RankedTensorType>(ty);
    if (!isFloatish(type.getElementType()))
      return fn.emitError("random calibration needs float inputs; input '")
             << getInputNames()[i] << "' is " << type.getElementType();
    SmallVector<int64_t> shape;
    bool first = true;
    for (int64_t d : type.getShape()) {
      if (ShapedType::isDynamic(d)) {
        shape.push_back(first ? batch : 1);
        first = false;
      } else {
        shape.push_back(d);
      }
    }
    Tensor t = Tensor::makeFloat(type.getElementType(), shape);
    for (float &v : t.f)
      v = normal(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

const KernelRegistry &quantc::exec::getKernelRegistry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerCoreKernels(r);
    registerQuantKernels(r);
    registerMathKernels(r);
    registerShapeKernels(r);
    registerNNKernels(r);
    return r;
  }();
  return registry;
}
