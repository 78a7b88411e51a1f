//===- ExternalData.h - initializer bytes: protobuf or files ----*- C++ -*-===//
//
// ONNX external data (TensorProto.data_location = EXTERNAL): an initializer's
// bytes live in a file next to the model, named by `location` with optional
// `offset`, `length` and `checksum` entries. The file is untrusted; the rules
// of DESIGN §7 are checked before a byte is read (see docs/ExternalData.md).
//
// Weights are not copied: each external file is memory-mapped once, and f32
// initializers become `dense_resource` blobs whose data is the mapping (or the
// parsed protobuf's raw_data). Each blob's deleter holds a reference to what
// owns its bytes, so the mapping / the ModelProto stays alive exactly as long
// as some blob in the MLIRContext still uses it.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_IMPORT_ONNX_EXTERNALDATA_H
#define QUANTC_LIB_IMPORT_ONNX_EXTERNALDATA_H

#include "onnx/onnx.pb.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace quantc::onnx_import {

/// f32 initializers stored inline (raw_data) of at least this many bytes
/// become dense_resource blobs; smaller ones stay dense<...> so small
/// constants remain readable and foldable. External f32 data is always a blob.
constexpr int64_t kResourceMinBytes = 1024;

/// Whether `t` keeps its data in an external file.
bool isExternalTensor(const onnx::TensorProto &t);

/// The data of one model: its ModelProto (shared with the blobs made from its
/// raw_data) and the external files its initializers name, each mapped once.
class WeightStore {
public:
  /// `modelPath` is the .onnx file (external paths are relative to its
  /// directory); `model` is the parsed model the tensors belong to.
  WeightStore(llvm::StringRef modelPath,
              std::shared_ptr<const onnx::ModelProto> model);

  /// Validates the external_data of initializer `t` (DESIGN §7) and maps its
  /// file if not done yet. The message names the location and the rule.
  llvm::Error loadExternal(const onnx::TensorProto &t);

  /// The bytes of a loaded external tensor; nullopt if `t` was not loaded.
  std::optional<llvm::StringRef>
  externalBytes(const onnx::TensorProto &t) const;

  /// A dense_resource f32 constant for FLOAT tensor `t` when it should be one
  /// (external, or inline in the model and at least kResourceMinBytes), else
  /// null. The blob aliases the mapping / protobuf bytes when they are
  /// 4-byte aligned (they are unless an external offset is not a multiple of
  /// 4), else holds a copy.
  mlir::DenseResourceElementsAttr f32Resource(mlir::MLIRContext &ctx,
                                              const onnx::TensorProto &t);

private:
  struct Slice {
    llvm::StringRef bytes;
    std::shared_ptr<llvm::MemoryBuffer> file;
  };
  llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
  openFile(llvm::StringRef location, std::string &realPath);

  std::string modelDir;
  std::string realModelDir; // empty until first needed
  std::shared_ptr<const onnx::ModelProto> model;
  llvm::DenseSet<const onnx::TensorProto *> initializers;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files; // by real path
  llvm::StringMap<std::string> checkedSums;                   // by real path
  llvm::DenseMap<const onnx::TensorProto *, Slice> slices;
};

/// Makes `store` the one the tensor helpers of the import running on this
/// thread read external bytes from (handlers see TensorProtos only).
class WeightStoreScope {
public:
  explicit WeightStoreScope(WeightStore &store);
  ~WeightStoreScope();

private:
  WeightStore *previous;
};

/// The store of the import running on this thread, or null.
WeightStore *currentWeightStore();

/// The little-endian bytes of a validated tensor: its raw_data, or its
/// external bytes from the current store (empty if unknown).
llvm::StringRef tensorRawBytes(const onnx::TensorProto &t);

/// validateTensor's part for an external tensor: it was loaded (graph
/// initializers only) and has no segment.
llvm::Error validateExternalTensor(const onnx::TensorProto &t);

/// An f32 constant for float tensor `t`: a dense_resource blob where
/// WeightStore::f32Resource gives one, else tensorToF32Attr's dense<...>.
mlir::TypedAttr tensorToF32Constant(mlir::MLIRContext &ctx,
                                    const onnx::TensorProto &t);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_IMPORT_ONNX_EXTERNALDATA_H
