//===- ExternalData.cpp - initializer bytes: protobuf or mapped files -----===//
#include "ExternalData.h"
#include "ImporterImpl.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA1.h"

using namespace mlir;
using namespace quantc::onnx_import;
using llvm::SmallVector;
using llvm::StringRef;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {
llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Bits per element as ONNX stores them (sub-byte types packed); 0 for
/// STRING and unknown types, whose external data is rejected.
int64_t storageBits(int32_t dataType) {
  using T = onnx::TensorProto;
  switch (dataType) {
  case T::BOOL:
  case T::INT8:
  case T::UINT8:
  case T::FLOAT8E4M3FN:
  case T::FLOAT8E4M3FNUZ:
  case T::FLOAT8E5M2:
  case T::FLOAT8E5M2FNUZ:
    return 8;
  case T::INT4:
  case T::UINT4:
  case T::FLOAT4E2M1:
    return 4;
  case T::INT16:
  case T::UINT16:
  case T::FLOAT16:
  case T::BFLOAT16:
    return 16;
  case T::INT32:
  case T::UINT32:
  case T::FLOAT:
    return 32;
  case T::INT64:
  case T::UINT64:
  case T::DOUBLE:
  case T::COMPLEX64:
    return 64;
  case T::COMPLEX128:
    return 128;
  default:
    return 0;
  }
}

thread_local WeightStore *currentStore = nullptr;
} // namespace

bool quantc::onnx_import::isExternalTensor(const onnx::TensorProto &t) {
  return t.data_location() == onnx::TensorProto::EXTERNAL ||
         t.external_data_size() > 0;
}

WeightStore::WeightStore(StringRef modelPath,
                         std::shared_ptr<const onnx::ModelProto> model)
    : model(std::move(model)) {
  StringRef dir = path::parent_path(modelPath);
  modelDir = dir.empty() ? "." : dir.str();
  if (this->model && this->model->has_graph())
    for (const onnx::TensorProto &t : this->model->graph().initializer())
      initializers.insert(&t);
}

llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
WeightStore::openFile(StringRef location, std::string &realPath) {
  // Lexical rules first: they need no file system access.
  if (location.empty())
    return makeError("the location is empty");
  if (location.contains('\0'))
    return makeError("the location contains a NUL character");
  if (location.starts_with("/") || location.starts_with("\\") ||
      path::is_absolute(location, path::Style::posix) ||
      path::is_absolute(location, path::Style::windows))
    return makeError("the location is an absolute path; only paths relative "
                     "to the model's directory are allowed");
  SmallVector<StringRef> parts;
  location.split(parts, '/');
  for (StringRef p : parts) {
    SmallVector<StringRef> sub;
    p.split(sub, '\\');
    if (llvm::is_contained(sub, ".."))
      return makeError("the location has a '..' component; only paths inside "
                       "the model's directory are allowed");
  }

  // Containment after resolving links: realpath of the file must lie under
  // realpath of the model directory.
  if (realModelDir.empty()) {
    SmallVector<char> real;
    if (std::error_code ec = fs::real_path(modelDir, real))
      return makeError("cannot resolve the model's directory '" + modelDir +
                       "': " + ec.message());
    realModelDir.assign(real.begin(), real.end());
  }
  SmallVector<char> joined(modelDir.begin(), modelDir.end());
  path::append(joined, location);
  SmallVector<char> real;
  if (std::error_code ec = fs::real_path(joined, real))
    return makeError("cannot open the file: " + ec.message());
  realPath.assign(real.begin(), real.end());
  StringRef dirPrefix = realModelDir;
  if (!StringRef(realPath).starts_with(dirPrefix) ||
      realPath.size() <= dirPrefix.size() ||
      (!dirPrefix.ends_with("/") && realPath[dirPrefix.size()] != '/'))
    return makeError("the file resolves to '" + realPath +
                     "', outside the model's directory '" + realModelDir +
                     "' (through a symbolic link?)");

  auto cached = files.find(realPath);
  if (cached != files.end())
    return cached->second;

  // Checks and mapping on the same open file, so the file checked is the one
  // mapped.
  llvm::Expected<fs::file_t> fd = fs::openNativeFileForRead(realPath);
  if (!fd)
    return makeError("cannot open the file: " + llvm::toString(fd.takeError()));
  llvm::scope_exit closeFd([&] { fs::closeFile(*fd); });
  fs::file_status st;
  if (std::error_code ec = fs::status(*fd, st))
    return makeError("cannot stat the file: " + ec.message());
  if (st.type() != fs::file_type::regular_file)
    return makeError("'" + location + "' is not a regular file");
  if (st.getLinkCount() > 1)
    return makeError(llvm::formatv(
        "the file has {0} hard links; external data files with more than one "
        "link are rejected (a hard link can reach outside the model's "
        "directory)",
        st.getLinkCount()));
  auto buf = llvm::MemoryBuffer::getOpenFile(*fd, realPath, st.getSize(),
                                             /*RequiresNullTerminator=*/false,
                                             /*IsVolatile=*/false);
  if (!buf)
    return makeError("cannot map the file: " + buf.getError().message());
  std::shared_ptr<llvm::MemoryBuffer> shared = std::move(*buf);
  files[realPath] = shared;
  return shared;
}

llvm::Error WeightStore::loadExternal(const onnx::TensorProto &t) {
  auto fail = [&](const llvm::Twine &why, StringRef location = "") {
    if (location.empty())
      return makeError("external data: " + why);
    return makeError("external data '" + location + "': " + why);
  };
  if (t.data_location() != onnx::TensorProto::EXTERNAL)
    return fail("has external_data entries but data_location is not "
                "EXTERNAL");
  if (!initializers.contains(&t))
    return fail("only graph initializers may use external data");
  if (t.has_raw_data() || t.float_data_size() || t.int32_data_size() ||
      t.int64_data_size() || t.double_data_size() || t.uint64_data_size() ||
      t.string_data_size())
    return fail("the tensor also has data inside the model");
  std::optional<StringRef> location, checksum;
  std::optional<uint64_t> offset, length;
  for (const onnx::StringStringEntryProto &e : t.external_data()) {
    StringRef key = e.key(), value = e.value();
    auto number = [&](std::optional<uint64_t> &out) -> llvm::Error {
      if (out)
        return fail("the key '" + key + "' is given twice");
      uint64_t v;
      if (value.empty() || value.getAsInteger(10, v))
        return fail("'" + key + "' is '" + value +
                    "', not a non-negative integer");
      out = v;
      return llvm::Error::success();
    };
    if (key == "location" || key == "checksum") {
      std::optional<StringRef> &slot = key == "location" ? location : checksum;
      if (slot)
        return fail("the key '" + key + "' is given twice");
      slot = value;
    } else if (key == "offset") {
      if (llvm::Error e = number(offset))
        return e;
    } else if (key == "length") {
      if (llvm::Error e = number(length))
        return e;
    } else {
      return fail("unknown key '" + key +
                  "' (expected location, offset, length, checksum)");
    }
  }
  if (!location)
    return fail("no 'location' entry");

  // The expected size, from the validated shape (before anything is read).
  SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
  llvm::Expected<int64_t> count = checkedElementCount(dims);
  if (!count)
    return count.takeError();
  int64_t bits = storageBits(t.data_type());
  if (!bits)
    return fail("element type " + dataTypeName(t.data_type()) +
                    " cannot be stored externally",
                *location);
  uint64_t expected = (uint64_t(*count) * bits + 7) / 8;

  std::string realPath;
  llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>> file =
      openFile(*location, realPath);
  if (!file)
    return fail(llvm::toString(file.takeError()), *location);
  StringRef data = (*file)->getBuffer();
  uint64_t size = data.size();
  uint64_t off = offset.value_or(0);
  if (off > size)
    return fail(llvm::formatv("offset {0} is past the end of the file ({1} "
                              "bytes)",
                              off, size),
                *location);
  uint64_t len = length.value_or(size - off);
  if (len > size - off)
    return fail(llvm::formatv("offset {0} + length {1} = {2} is past the end "
                              "of the file ({3} bytes)",
                              off, len, off + len, size),
                *location);
  if (len != expected)
    return fail(llvm::formatv("{0} {1} bytes, but shape [{2}] of {3} needs "
                              "{4} ({5} elements of {6} bits)",
                              length ? "length is"
                                     : "the data after the "
                                       "offset is",
                              len, qc::dimsStr(dims),
                              dataTypeName(t.data_type()), expected, *count,
                              bits),
                *location);
  if (checksum) {
    // ONNX: the SHA-1 of the whole file, hex. Reads every page once.
    auto it = checkedSums.find(realPath);
    if (it == checkedSums.end()) {
      auto digest = llvm::SHA1::hash(llvm::arrayRefFromStringRef(data));
      it = checkedSums.try_emplace(realPath, llvm::toHex(digest, true)).first;
    }
    if (!checksum->equals_insensitive(it->second))
      return fail("checksum '" + *checksum +
                      "' does not match the file's "
                      "SHA-1 " +
                      it->second,
                  *location);
  }
  slices[&t] = Slice{data.substr(off, len), *file};
  return llvm::Error::success();
}

std::optional<StringRef>
WeightStore::externalBytes(const onnx::TensorProto &t) const {
  auto it = slices.find(&t);
  if (it == slices.end())
    return std::nullopt;
  return it->second.bytes;
}

DenseResourceElementsAttr WeightStore::f32Resource(MLIRContext &ctx,
                                                   const onnx::TensorProto &t) {
  if (t.data_type() != onnx::TensorProto::FLOAT ||
      !llvm::sys::IsLittleEndianHost)
    return {};
  StringRef bytes;
  std::shared_ptr<const void> owner;
  if (auto it = slices.find(&t); it != slices.end()) {
    bytes = it->second.bytes;
    owner = it->second.file;
  } else if (t.has_raw_data() && initializers.contains(&t) &&
             (int64_t)t.raw_data().size() >= kResourceMinBytes) {
    bytes = t.raw_data();
    owner = model;
  } else {
    return {};
  }
  auto type = RankedTensorType::get(
      SmallVector<int64_t>(t.dims().begin(), t.dims().end()),
      Float32Type::get(&ctx));
  if (bytes.empty())
    return {};
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) == 0) {
    // The deleter keeps the owner of the bytes alive while the blob exists.
    blob = AsmResourceBlob(
        llvm::ArrayRef<char>(bytes.data(), bytes.size()), alignof(float),
        [owner](void *, size_t, size_t) mutable { owner.reset(); },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        llvm::ArrayRef<char>(bytes.data(), bytes.size()), alignof(float));
  }
  StringRef name = t.name().empty() ? StringRef("weight") : StringRef(t.name());
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

WeightStoreScope::WeightStoreScope(WeightStore &store)
    : previous(currentStore) {
  currentStore = &store;
}
WeightStoreScope::~WeightStoreScope() { currentStore = previous; }

WeightStore *quantc::onnx_import::currentWeightStore() { return currentStore; }

StringRef quantc::onnx_import::tensorRawBytes(const onnx::TensorProto &t) {
  if (!isExternalTensor(t))
    return t.raw_data();
  if (currentStore)
    if (std::optional<StringRef> b = currentStore->externalBytes(t))
      return *b;
  return {};
}

llvm::Error
quantc::onnx_import::validateExternalTensor(const onnx::TensorProto &t) {
  if (!currentStore || !currentStore->externalBytes(t))
    return makeError("uses external data, which is supported for graph "
                     "initializers only");
  if (t.has_segment())
    return makeError("segmented tensors are not supported");
  return llvm::Error::success();
}

TypedAttr quantc::onnx_import::tensorToF32Constant(MLIRContext &ctx,
                                                   const onnx::TensorProto &t) {
  if (currentStore)
    if (DenseResourceElementsAttr r = currentStore->f32Resource(ctx, t))
      return r;
  return tensorToF32Attr(ctx, t);
}
