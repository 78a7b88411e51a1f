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
//===----------------------------------------------------------------------===//

#include "quantc/Target/Host/HostKernels.h"

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
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;
using namespace quantc;

namespace {

/// The one inline PTX instruction outside the GEMM kernels, and its host
/// equivalent (both IEEE round-to-nearest square roots).
constexpr llvm::StringLiteral kSqrtAsm = "sqrt.rn.f32 $0, $1;";

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
      if (a.getAsmString() == kSqrtAsm)
        return WalkResult::advance();
      why = "it uses inline PTX '" + a.getAsmString().str() + "'";
    } else if (ns == "gpu" || ns == "nvvm" || ns == "nvgpu") {
      why = "it uses " + op->getName().getStringRef().str() +
            " (threads that cooperate or a GPU-only instruction)";
    } else if (isa<LLVM::CallOp, func::CallOp>(op)) {
      why = "it calls another function";
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

/// Builds @__qc_thread_<name> and @__qc_launch_<name> for `fn` in `host`.
void buildHostFunctions(gpu::GPUFuncOp fn, ModuleOp host) {
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
    else if (auto o = dyn_cast<LLVM::InlineAsmOp>(op))
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

  // The launch: every block, then every thread of it, in order.
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

} // namespace

struct HostKernels::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<std::string> runnable, all;
  llvm::StringMap<std::string> refused;
  llvm::StringMap<std::vector<HostKernelArg::Kind>> signature;
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
        buildHostFunctions(fn, *host);
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
  for (int i = 0; i < 6; ++i)
    packed.push_back(&i64[args.size() + i]);
  if (llvm::Error e = impl->engine->invokePacked(
          ("__qc_launch_" + name).str(), packed)) {
    error = "kernel '" + name.str() + "': " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}
