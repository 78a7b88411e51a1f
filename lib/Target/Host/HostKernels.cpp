//===- HostKernels.cpp - GPU kernels JIT-compiled for this CPU ------------===//
//
// Each runnable gpu.func @k(args) becomes
//
//   func.func private @__qc_thread_k(args, tid x/y/z, bid x/y/z,
//                                    bdim x/y/z, gdim x/y/z : index)
//     (the body, gpu id ops replaced by the arguments, gpu.return by
//     func.return, the sqrt.rn.f32 inline PTX by math.sqrt: IEEE sqrt)
//   func.func @__qc_launch_k(args, gdim x/y/z, bdim x/y/z : index)
//     (six scf.for loops calling it for every block and thread)
//
// in a module of their own, lowered to the LLVM dialect and JIT-compiled
// by MLIR's ExecutionEngine (ORC, this CPU's features, -O2).
//
// Kernels whose only cooperation is a warp-collective MMA (the mma.sync
// GEMMs: every lane loads its own fragments, then the warp multiplies)
// run their lanes as coroutines instead: the MMA becomes a call into
// this file, which parks the lane until all 32 lanes of its warp have
// arrived, multiplies the fragments as the PTX ISA lays them out, and
// resumes each lane with its part of D.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/Host/HostKernels.h"
#include "quantc/Numerics/Formats.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>
#include <cstring>
#include <mutex>
#include <sys/mman.h>
#include <ucontext.h>

using namespace mlir;
using namespace quantc;

namespace {

/// The one inline PTX instruction outside the GEMM kernels, and its host
/// equivalent (both IEEE round-to-nearest square roots).
constexpr llvm::StringLiteral kSqrtAsm = "sqrt.rn.f32 $0, $1;";

/// The sm_89/sm_90 GEMMs' warp-collective MMA (D = A x B + C, A 16x32 and
/// B 32x8 of e4m3 or e5m2, C and D 16x8 of f32), emulated by hostMmaFp8.
constexpr llvm::StringLiteral kMmaFp8Fn = "__qc_host_mma_m16n8k32_fp8";
/// Words a lane passes: A (4), B (2), C (4 f32), D (4 f32) back, then the
/// operand types (bit 0: A is e5m2, bit 1: B is e5m2).
constexpr int kMmaWords = 15;

/// The operand-type word of an m16n8k32 FP8 mma.sync asm string, or -1.
int mmaTypeCode(StringRef asmStr) {
  for (int code = 0; code < 4; ++code) {
    std::string s = std::string("mma.sync.aligned.m16n8k32.row.col.f32.") +
                    (code & 1 ? "e5m2" : "e4m3") + "." +
                    (code & 2 ? "e5m2" : "e4m3") +
                    ".f32 {$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, "
                    "{$10,$11,$12,$13};";
    if (asmStr == s)
      return code;
  }
  return -1;
}

bool isCollective(Operation *op) {
  auto a = dyn_cast<LLVM::InlineAsmOp>(op);
  return a && mmaTypeCode(a.getAsmString()) >= 0;
}

/// Parameter kinds the driver passes; "" for one it cannot.
std::string paramKind(Type t, HostKernelArg::Kind &kind) {
  if (auto p = dyn_cast<LLVM::LLVMPointerType>(t)) {
    kind = HostKernelArg::Kind::Pointer;
    return p.getAddressSpace() == 0 ? "" : "a pointer in address space " +
                                               std::to_string(
                                                   p.getAddressSpace());
  }
  if (t.isInteger(32)) {
    kind = HostKernelArg::Kind::I32;
    return "";
  }
  if (t.isInteger(64)) {
    kind = HostKernelArg::Kind::I64;
    return "";
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "a parameter of type " << t;
  return s;
}

/// Why `fn` cannot run one thread at a time on the host, or "".
std::string refusal(gpu::GPUFuncOp fn) {
  if (fn.getNumWorkgroupAttributions() || fn.getNumPrivateAttributions())
    return "it uses workgroup or private memory attributions";
  std::string why;
  fn.walk([&](Operation *op) {
    if (op == fn.getOperation() || isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp,
            gpu::ReturnOp>(op))
      return WalkResult::advance();
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    if (auto a = dyn_cast<LLVM::InlineAsmOp>(op)) {
      if (a.getAsmString() == kSqrtAsm || isCollective(op))
        return WalkResult::advance();
      why = "it uses inline PTX '" + a.getAsmString().str() + "'";
    } else if (ns == "gpu" || ns == "nvvm" || ns == "nvgpu") {
      why = "it uses " + op->getName().getStringRef().str() +
            " (threads that cooperate or a GPU-only instruction)";
    } else if (isa<LLVM::CallOp, func::CallOp>(op)) {
      why = "it calls another function";
    } else if (!(ns == "arith" || ns == "scf" || ns == "cf" || ns == "llvm" ||
                 ns == "index" || ns == "ub" || isa<math::SqrtOp>(op))) {
      // Only what the host lowering converts: one kernel's op must not
      // fail the others' JIT.
      why = "it uses " + op->getName().getStringRef().str() +
            ", which the host lowering does not convert";
    } else {
      for (Type t : llvm::concat<Type>(llvm::to_vector(op->getOperandTypes()),
                                       llvm::to_vector(op->getResultTypes())))
        if (auto p = dyn_cast<LLVM::LLVMPointerType>(t);
            p && p.getAddressSpace() != 0)
          why = "it addresses memory space " +
                std::to_string(p.getAddressSpace()) + " (shared or local)";
    }
    return why.empty() ? WalkResult::advance() : WalkResult::interrupt();
  });
  if (!why.empty())
    return why;
  for (Type t : fn.getArgumentTypes()) {
    HostKernelArg::Kind k;
    if (std::string p = paramKind(t, k); !p.empty())
      return "it takes " + p;
  }
  return "";
}

/// Replaces a warp-collective MMA with a call of its host emulation: the
/// operands stored to a stack buffer (allocated once, at entry), the call,
/// D loaded back into the struct the asm returned.
void lowerCollective(LLVM::InlineAsmOp op, Value buf) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type i32 = b.getI32Type(), f32 = b.getF32Type(),
       ptr = LLVM::LLVMPointerType::get(ctx);
  for (auto [k, v] : llvm::enumerate(op.getOperands())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, i32, buf,
                                     ArrayRef<LLVM::GEPArg>{int32_t(k)});
    LLVM::StoreOp::create(b, loc, v, slot);
  }
  Value code = LLVM::ConstantOp::create(
      b, loc, i32, b.getI32IntegerAttr(mmaTypeCode(op.getAsmString())));
  LLVM::StoreOp::create(b, loc, code,
                        LLVM::GEPOp::create(b, loc, ptr, i32, buf,
                                            ArrayRef<LLVM::GEPArg>{14}));
  LLVM::CallOp::create(b, loc, TypeRange{}, kMmaFp8Fn, ValueRange{buf});
  Value d = LLVM::UndefOp::create(b, loc, op.getResult(0).getType());
  for (int k = 0; k < 4; ++k) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, i32, buf,
                                     ArrayRef<LLVM::GEPArg>{10 + k});
    Value v = LLVM::LoadOp::create(b, loc, f32, slot);
    d = LLVM::InsertValueOp::create(b, loc, d, v, ArrayRef<int64_t>{k});
  }
  op.getResult(0).replaceAllUsesWith(d);
  op.erase();
}

/// Builds @__qc_thread_<name> and @__qc_launch_<name> for `fn` in `host`
/// (a cooperative kernel's lanes are started by the C++ scheduler through
/// @__qc_thread_<name>, which then stays public).
void buildHostFunctions(gpu::GPUFuncOp fn, ModuleOp host, bool cooperative) {
  MLIRContext *ctx = host.getContext();
  Location loc = fn.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(host.getBody());
  Type index = b.getIndexType();
  SmallVector<Type> params(fn.getArgumentTypes());
  unsigned nArgs = params.size();
  SmallVector<Type> threadParams = params;
  threadParams.append(12, index);
  auto thread = func::FuncOp::create(
      b, loc, ("__qc_thread_" + fn.getName()).str(),
      b.getFunctionType(threadParams, {}));
  if (!cooperative)
    thread.setPrivate();
  IRMapping map;
  fn.getBody().cloneInto(&thread.getBody(), map);
  Block &entry = thread.getBody().front();
  SmallVector<Value> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(entry.addArgument(index, loc));
  auto dim = [](gpu::Dimension d) { return static_cast<unsigned>(d); };
  SmallVector<Operation *> done;
  thread.walk([&](Operation *op) {
    OpBuilder r(op);
    Value repl;
    if (auto o = dyn_cast<gpu::ThreadIdOp>(op))
      repl = ids[dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::BlockIdOp>(op))
      repl = ids[3 + dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::BlockDimOp>(op))
      repl = ids[6 + dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::GridDimOp>(op))
      repl = ids[9 + dim(o.getDimension())];
    else if (auto o = dyn_cast<LLVM::InlineAsmOp>(op);
             o && o.getAsmString() == kSqrtAsm)
      repl = math::SqrtOp::create(r, o.getLoc(), o.getOperand(0));
    else if (auto o = dyn_cast<gpu::ReturnOp>(op))
      func::ReturnOp::create(r, o.getLoc());
    else
      return;
    if (repl)
      op->getResult(0).replaceAllUsesWith(repl);
    done.push_back(op);
  });
  for (Operation *op : done)
    op->erase();
  if (cooperative) {
    OpBuilder eb(ctx);
    eb.setInsertionPointToStart(&entry);
    Value n = LLVM::ConstantOp::create(eb, loc, eb.getI32Type(),
                                       eb.getI32IntegerAttr(kMmaWords));
    Value buf = LLVM::AllocaOp::create(eb, loc,
                                       LLVM::LLVMPointerType::get(ctx),
                                       eb.getI32Type(), n);
    SmallVector<LLVM::InlineAsmOp> mmas;
    thread.walk([&](LLVM::InlineAsmOp a) {
      if (isCollective(a))
        mmas.push_back(a);
    });
    for (LLVM::InlineAsmOp a : mmas)
      lowerCollective(a, buf);
  }

  // The launch: every block, then every thread of it, in order (a
  // cooperative kernel's lanes are scheduled by HostKernels::launch).
  if (cooperative)
    return;
  SmallVector<Type> launchParams = params;
  launchParams.append(6, index);
  auto launch = func::FuncOp::create(b, loc,
                                     ("__qc_launch_" + fn.getName()).str(),
                                     b.getFunctionType(launchParams, {}));
  Block *body = launch.addEntryBlock();
  b.setInsertionPointToStart(body);
  ValueRange args = body->getArguments().take_front(nArgs);
  ValueRange gdim = body->getArguments().slice(nArgs, 3);
  ValueRange bdim = body->getArguments().slice(nArgs + 3, 3);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // Loops outermost first: block z, y, x, thread z, y, x.
  Value bounds[6] = {gdim[2], gdim[1], gdim[0], bdim[2], bdim[1], bdim[0]};
  Value iv[6];
  for (int i = 0; i < 6; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
    iv[i] = loop.getInductionVar();
    b.setInsertionPointToStart(loop.getBody());
  }
  SmallVector<Value> callArgs(args);
  callArgs.append({iv[5], iv[4], iv[3], iv[2], iv[1], iv[0], bdim[0], bdim[1],
                   bdim[2], gdim[0], gdim[1], gdim[2]});
  func::CallOp::create(b, loc, thread, callArgs);
  b.setInsertionPointToEnd(body);
  func::ReturnOp::create(b, loc);
}

//===----------------------------------------------------------------------===//
// Warps of coroutines
//===----------------------------------------------------------------------===//

struct Warp;

/// One lane: a coroutine running the kernel's thread function.
struct Lane {
  ucontext_t ctx;
  Warp *warp = nullptr;
  std::vector<void *> args; // packed: a pointer to each argument
  int64_t ids[12];          // tid, bid, bdim, gdim (x, y, z each)
  bool done = false;
  uint32_t *waitBuf = nullptr; // non-null: parked at the MMA
};

/// 32 lane stacks, each above a PROT_NONE guard page (a lane that
/// overflows its stack faults instead of corrupting the heap); mmap'd, so
/// pages are touched only as a lane uses them.
class LaneStacks {
public:
  static constexpr size_t kStack = 256 * 1024, kGuard = 4096;
  LaneStacks() {
    size_t total = 32 * (kStack + kGuard);
    void *p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return;
    base = static_cast<char *>(p);
    for (size_t i = 0; i < 32; ++i)
      mprotect(base + i * (kStack + kGuard), kGuard, PROT_NONE);
  }
  ~LaneStacks() {
    if (base)
      munmap(base, 32 * (kStack + kGuard));
  }
  bool ok() const { return base != nullptr; }
  char *stack(size_t i) const { return base + i * (kStack + kGuard) + kGuard; }

private:
  char *base = nullptr;
};

struct Warp {
  ucontext_t sched;
  void (*thread)(void **) = nullptr;
  std::vector<Lane> lanes;
  LaneStacks *stacks = nullptr;
};

thread_local Lane *currentLane = nullptr;

void laneMain() {
  Lane *l = currentLane;
  l->warp->thread(l->args.data());
  l->done = true; // returns to the scheduler through uc_link
}

/// The host side of a warp-collective MMA: parks the lane.
extern "C" void hostMmaFp8(uint32_t *buf) {
  Lane *l = currentLane;
  if (!l) {
    // Only a lane of HostKernels' scheduler reaches the MMA.
    llvm::report_fatal_error("quantc host kernels: a warp-collective MMA "
                             "outside a scheduled warp");
  }
  l->waitBuf = buf;
  swapcontext(&l->ctx, &l->warp->sched);
}

float fp8Value(uint32_t word, int byte, bool e5m2) {
  return numerics::decode(e5m2 ? numerics::ElemFormat::E5M2
                               : numerics::ElemFormat::E4M3FN,
                          (word >> (8 * byte)) & 0xff);
}

/// D = A x B + C for m16n8k32 e4m3/e5m2 -> f32 from the 32 lanes' fragments,
/// laid out as the PTX ISA's "Matrix fragments for mma.m16n8k32" (8-bit
/// types): lane = 4 * group + t; A's register r holds row group (+8 for
/// r odd), columns 4t .. 4t+3 (+16 for r >= 2), one byte each from the
/// low one; B's register r holds column group, rows 4t .. 4t+3 (+16 for
/// r = 1); C and D element i is row group (+8 for i >= 2), column 2t + (i
/// & 1). Products are exact and summed in double with C, then rounded
/// once to f32 (the tensor core's internal rounding differs by an ulp at
/// most; the checks allow for it).
void mmaFp8(llvm::ArrayRef<uint32_t *> bufs) {
  float A[16][32], B[32][8], C[16][8];
  bool e5a = bufs[0][14] & 1, e5b = bufs[0][14] & 2;
  for (int lane = 0; lane < 32; ++lane) {
    const uint32_t *w = bufs[lane];
    int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 4; ++j)
        A[g + 8 * (r & 1)][4 * t + j + 16 * (r >> 1)] = fp8Value(w[r], j, e5a);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j)
        B[4 * t + j + 16 * r][g] = fp8Value(w[4 + r], j, e5b);
    for (int i = 0; i < 4; ++i)
      std::memcpy(&C[g + 8 * (i >> 1)][2 * t + (i & 1)], &w[6 + i], 4);
  }
  for (int lane = 0; lane < 32; ++lane) {
    uint32_t *w = bufs[lane];
    int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; ++i) {
      int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
      double acc = C[row][col];
      for (int k = 0; k < 32; ++k)
        acc += double(A[row][k]) * double(B[k][col]);
      float d = static_cast<float>(acc);
      std::memcpy(&w[10 + i], &d, 4);
    }
  }
}

/// Runs one warp (n <= 32 lanes) to completion; false with `error` when
/// its lanes do not all reach each MMA (a lane that exits or branches
/// around it: undefined for mma.sync.aligned).
bool runWarp(Warp &w, size_t n, std::string &error) {
  for (size_t i = 0; i < n; ++i) {
    Lane &l = w.lanes[i];
    getcontext(&l.ctx);
    l.ctx.uc_stack.ss_sp = w.stacks->stack(i);
    l.ctx.uc_stack.ss_size = LaneStacks::kStack;
    l.ctx.uc_link = &w.sched;
    makecontext(&l.ctx, laneMain, 0);
  }
  while (true) {
    for (size_t i = 0; i < n; ++i) {
      Lane &l = w.lanes[i];
      if (l.done || l.waitBuf)
        continue;
      currentLane = &l;
      swapcontext(&w.sched, &l.ctx);
    }
    size_t waiting = 0;
    for (size_t i = 0; i < n; ++i)
      waiting += w.lanes[i].waitBuf != nullptr;
    if (waiting == 0)
      break;
    if (waiting != 32 || n != 32) {
      error = std::to_string(waiting) + " of the warp's " +
              std::to_string(n) +
              " lanes reached a warp-collective MMA (mma.sync.aligned needs "
              "all 32)";
      currentLane = nullptr;
      return false;
    }
    SmallVector<uint32_t *, 32> bufs;
    for (size_t i = 0; i < n; ++i)
      bufs.push_back(w.lanes[i].waitBuf);
    mmaFp8(bufs);
    for (size_t i = 0; i < n; ++i)
      w.lanes[i].waitBuf = nullptr;
  }
  currentLane = nullptr;
  return true;
}

} // namespace

struct HostKernels::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<std::string> runnable, all;
  llvm::StringMap<std::string> refused;
  llvm::StringMap<std::vector<HostKernelArg::Kind>> signature;
  llvm::StringSet<> cooperative;
};

HostKernels::HostKernels() : impl(std::make_unique<Impl>()) {}
HostKernels::~HostKernels() = default;

llvm::ArrayRef<std::string> HostKernels::kernels() const {
  return impl->runnable;
}
llvm::ArrayRef<std::string> HostKernels::allKernels() const {
  return impl->all;
}

std::string HostKernels::whyNot(llvm::StringRef name) const {
  if (impl->signature.count(name))
    return "";
  auto it = impl->refused.find(name);
  return it != impl->refused.end() ? it->second
                                   : "there is no kernel '" + name.str() + "'";
}

std::unique_ptr<HostKernels> HostKernels::create(ModuleOp module,
                                                 std::string &error) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                   func::FuncDialect, LLVM::LLVMDialect, math::MathDialect,
                   scf::SCFDialect>();
  std::unique_ptr<HostKernels> hk(new HostKernels());
  Impl &im = *hk->impl;
  OwningOpRef<ModuleOp> host = ModuleOp::create(module.getLoc());
  bool anyModule = false;
  for (auto gm : module.getOps<gpu::GPUModuleOp>()) {
    anyModule = true;
    for (Operation &op : gm.getBody()->getOperations()) {
      if (auto fn = dyn_cast<gpu::GPUFuncOp>(op)) {
        if (!fn.isKernel())
          continue;
        std::string name = fn.getName().str();
        if (llvm::is_contained(im.all, name)) {
          // Two gpu.modules with a kernel of this name: run neither.
          im.refused[name] = "two gpu.modules define a kernel '" + name + "'";
          llvm::erase(im.runnable, name);
          im.signature.erase(name);
          continue;
        }
        im.all.push_back(name);
        if (std::string why = refusal(fn); !why.empty()) {
          im.refused[name] = std::move(why);
          continue;
        }
        std::vector<HostKernelArg::Kind> sig;
        for (Type t : fn.getArgumentTypes()) {
          HostKernelArg::Kind k;
          paramKind(t, k);
          sig.push_back(k);
        }
        im.signature[name] = std::move(sig);
        im.runnable.push_back(name);
        bool coop = false;
        fn.walk([&](Operation *o) { coop |= isCollective(o); });
        if (coop)
          im.cooperative.insert(name);
        buildHostFunctions(fn, *host, coop);
      } else if (auto g = dyn_cast<LLVM::GlobalOp>(op);
                 g && g.getAddrSpace() == 0) {
        // Constant tables the kernels read.
        OpBuilder b(ctx);
        b.setInsertionPointToStart(host->getBody());
        b.clone(op);
      }
    }
  }
  if (!anyModule) {
    error = "the module has no gpu.module (run qc-convert-to-gpu first)";
    return nullptr;
  }
  if (!im.cooperative.empty()) {
    OpBuilder b(ctx);
    b.setInsertionPointToStart(host->getBody());
    LLVM::LLVMFuncOp::create(
        b, module.getLoc(), kMmaFp8Fn,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                    {LLVM::LLVMPointerType::get(ctx)}));
  }

  std::string diag;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diag);
    os << (diag.empty() ? "" : "\n") << d;
    return success();
  });
  PassManager pm(ctx);
  pm.addPass(createSCFToControlFlowPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = expand.includeF8E8M0 = expand.includeF4E2M1 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(*host))) {
    error = "lowering the kernels for the host failed: " + diag;
    return nullptr;
  }

  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ExecutionEngineOptions opts;
  auto transformer = makeOptimizingTransformer(2, 0, nullptr);
  opts.transformer = transformer;
  // No perf/GDB listeners: tests create many engines.
  opts.enableGDBNotificationListener = false;
  opts.enablePerfNotificationListener = false;
  auto engine = ExecutionEngine::create(*host, opts);
  if (!engine) {
    error = "JIT-compiling the kernels failed: " +
            llvm::toString(engine.takeError()) + (diag.empty() ? "" : "\n") +
            diag;
    return nullptr;
  }
  im.engine = std::move(*engine);
  im.engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap m;
    m[interner(kMmaFp8Fn)] = {llvm::orc::ExecutorAddr::fromPtr(&hostMmaFp8),
                               llvm::JITSymbolFlags::Exported};
    return m;
  });
  // Now, not lazily in the first launch: two threads launching at once
  // would both initialize.
  im.engine->initialize();
  return hk;
}

bool HostKernels::launch(llvm::StringRef name, std::array<int64_t, 3> grid,
                         std::array<int64_t, 3> block,
                         llvm::ArrayRef<HostKernelArg> args,
                         std::string &error) {
  auto sig = impl->signature.find(name);
  if (sig == impl->signature.end()) {
    error = "kernel '" + name.str() + "' cannot run on the host: " +
            whyNot(name);
    return false;
  }
  const std::vector<HostKernelArg::Kind> &kinds = sig->second;
  if (args.size() != kinds.size()) {
    error = "kernel '" + name.str() + "' takes " +
            std::to_string(kinds.size()) + " arguments, got " +
            std::to_string(args.size());
    return false;
  }
  static const char *kindName[] = {"a pointer", "an i32", "an i64"};
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].kind != kinds[i]) {
      error = "kernel '" + name.str() + "': argument " + std::to_string(i) +
              " must be " + kindName[static_cast<int>(kinds[i])] +
              ", got " + kindName[static_cast<int>(args[i].kind)];
      return false;
    }
  for (int i = 0; i < 3; ++i)
    if (grid[i] < 1 || block[i] < 1) {
      error = "kernel '" + name.str() +
              "': grid and block extents must be positive";
      return false;
    }
  // CUDA's limits: 1024 threads per block, 2^31 - 1 blocks along x and
  // 65535 along y and z.
  if (block[0] * block[1] * block[2] > 1024 || grid[0] > 0x7fffffff ||
      grid[1] > 65535 || grid[2] > 65535) {
    error = "kernel '" + name.str() +
            "': the launch exceeds CUDA's limits (1024 threads per block; "
            "grid x < 2^31, y and z <= 65535)";
    return false;
  }
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].kind == HostKernelArg::Kind::I32 &&
        (int64_t(args[i].value) < INT32_MIN ||
         int64_t(args[i].value) > INT32_MAX)) {
      error = "kernel '" + name.str() + "': argument " + std::to_string(i) +
              " does not fit an i32";
      return false;
    }
  // invokePacked takes a pointer to each argument's value.
  std::vector<void *> ptrs(args.size());
  std::vector<int32_t> i32(args.size());
  std::vector<int64_t> i64(args.size() + 6);
  std::vector<void *> packed;
  for (size_t i = 0; i < args.size(); ++i) {
    switch (args[i].kind) {
    case HostKernelArg::Kind::Pointer:
      ptrs[i] = reinterpret_cast<void *>(static_cast<uintptr_t>(args[i].value));
      packed.push_back(&ptrs[i]);
      break;
    case HostKernelArg::Kind::I32:
      i32[i] = static_cast<int32_t>(args[i].value);
      packed.push_back(&i32[i]);
      break;
    case HostKernelArg::Kind::I64:
      i64[i] = static_cast<int64_t>(args[i].value);
      packed.push_back(&i64[i]);
      break;
    }
  }
  for (int i = 0; i < 3; ++i) {
    i64[args.size() + i] = grid[i];
    i64[args.size() + 3 + i] = block[i];
  }
  if (impl->cooperative.contains(name)) {
    // Warp by warp, each lane a coroutine (thread ids x fastest, as CUDA
    // numbers lanes).
    auto fn = impl->engine->lookupPacked(("__qc_thread_" + name).str());
    if (!fn) {
      error = "kernel '" + name.str() + "': " + llvm::toString(fn.takeError());
      return false;
    }
    int64_t threads = block[0] * block[1] * block[2];
    LaneStacks stacks;
    if (!stacks.ok()) {
      error = "kernel '" + name.str() + "': cannot map the lanes' stacks";
      return false;
    }
    Warp w;
    w.thread = *fn;
    w.lanes.resize(32);
    w.stacks = &stacks;
    for (int64_t bz = 0; bz < grid[2]; ++bz)
      for (int64_t by = 0; by < grid[1]; ++by)
        for (int64_t bx = 0; bx < grid[0]; ++bx)
          for (int64_t first = 0; first < threads; first += 32) {
            size_t n = std::min<int64_t>(32, threads - first);
            for (size_t i = 0; i < n; ++i) {
              Lane &l = w.lanes[i];
              l = Lane();
              l.warp = &w;
              int64_t t = first + int64_t(i);
              int64_t id[12] = {t % block[0],
                                t / block[0] % block[1],
                                t / (block[0] * block[1]),
                                bx, by, bz, block[0], block[1], block[2],
                                grid[0], grid[1], grid[2]};
              std::copy(id, id + 12, l.ids);
              l.args.assign(packed.begin(), packed.end());
              for (int k = 0; k < 12; ++k)
                l.args.push_back(&l.ids[k]);
            }
            std::string why;
            if (!runWarp(w, n, why)) {
              error = "kernel '" + name.str() + "', block (" +
                      std::to_string(bx) + ", " + std::to_string(by) + ", " +
                      std::to_string(bz) + "), warp " +
                      std::to_string(first / 32) + ": " + why;
              return false;
            }
          }
    return true;
  }
  for (int i = 0; i < 6; ++i)
    packed.push_back(&i64[args.size() + i]);
  if (llvm::Error e = impl->engine->invokePacked(
          ("__qc_launch_" + name).str(), packed)) {
    error = "kernel '" + name.str() + "': " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}
