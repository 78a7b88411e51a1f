//===- Npz.h - numpy .npy / .npz reader and writer --------------*- C++ -*-===//
//
// A small, dependency-light (LLVM Support + zlib, no MLIR) reader and writer for
// numpy's .npy arrays and .npz archives (ZIP files of .npy entries), used by the
// tools for calibration inputs and outputs.
//
// Reading is meant for untrusted input: every length and offset is checked
// against the file, shape products are checked for overflow, the data size must
// equal product(shape) * itemsize, CRC-32 is verified, and every error names the
// file and the entry and says what is wrong.
//
// Supported element types are those of DType. Decisions worth knowing:
//  * Only little-endian data: descrs "<", "|", "=" and no prefix are accepted
//    ("|"/"="/none mean native, which must be little-endian); ">" (big-endian)
//    for multi-byte types is rejected.
//  * fortran_order: True arrays are accepted and transposed into C order on
//    read, so Array::data is always C order. Writers always write C order.
//  * BF16: numpy has no bfloat16; ml_dtypes' bfloat16 is saved by numpy with
//    descr "<V2" (loaded by plain numpy as void "|V2"). We write BF16 as "<V2"
//    and read "<V2"/"|V2" (and the name "bfloat16") as BF16. Other opaque void
//    types are rejected, in particular "<V1" (ml_dtypes float8/float4 formats):
//    tools pass 8-bit codes as uint8 instead.
//  * Object arrays, structured dtypes, strings, complex, datetimes and
//    long double are rejected with a clear error.
//  * .npz: ZIP entries stored (method 0, np.savez) or deflated (method 8,
//    np.savez_compressed), read through the central directory, with ZIP64
//    (extra field 0x0001, ZIP64 end-of-central-directory record and locator).
//    Encrypted and multi-disk archives are rejected. Every non-directory entry
//    must be named "<key>.npy"; directory entries ("…/") are skipped.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_SUPPORT_NPZ_H
#define QUANTC_SUPPORT_NPZ_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace quantc::npz {

enum class DType { F32, F64, F16, BF16, I8, U8, I16, U16, I32, U32, I64, U64, Bool };

/// Bytes per element.
size_t dtypeSize(DType);
/// numpy-style name: "float32", "int64", "bool", "bfloat16" (ml_dtypes' name), ...
llvm::StringRef dtypeName(DType);
/// The descr written into .npy headers: "<f4", "|u1", "|b1", "<V2" for BF16, ...
llvm::StringRef dtypeDescr(DType);
/// Inverse of dtypeName ("float32" -> F32); std::nullopt if unknown.
std::optional<DType> dtypeFromName(llvm::StringRef name);

struct Array {
  std::string name;           // key in the .npz (without ".npy")
  DType dtype = DType::F32;
  std::vector<int64_t> shape; // C order; empty = 0-d array (one element)
  std::vector<uint8_t> data;  // raw little-endian element bytes, C order
  /// Product of shape (1 for a 0-d array). Assumes a valid shape (see verify).
  int64_t numElements() const;
};

/// Checks that an Array is well formed: every dimension >= 0, the product of
/// the shape times the item size does not overflow, and data.size() equals it.
/// `what` prefixes the message (e.g. the file name).
llvm::Error verifyArray(const Array &a, llvm::StringRef what = "array");

/// Parses the bytes of one .npy file (versions 1.0, 2.0, 3.0). The result's
/// name is empty. `nameForErrors` prefixes every error message, e.g.
/// "calib.npz: entry 'x.npy'".
llvm::Expected<Array> parseNpy(llvm::StringRef bytes, llvm::StringRef nameForErrors);

/// Serializes to .npy format version 1.0 (2.0 if the header exceeds 65535
/// bytes), header padded to a multiple of 64 bytes like numpy.
/// Precondition: verifyArray(a) succeeds (asserted in debug builds); writeNpz
/// and writeNpy check it and return an error instead.
std::string serializeNpy(const Array &a);

/// Reads every entry of a .npz archive, in archive (central directory) order.
/// Each Array's name is the entry name without ".npy".
llvm::Expected<std::vector<Array>> readNpz(llvm::StringRef path);

/// Like readNpz, for an archive already in memory; `nameForErrors` prefixes
/// every error message (readNpz passes the path).
llvm::Expected<std::vector<Array>> parseNpz(llvm::StringRef bytes,
                                            llvm::StringRef nameForErrors);

struct NpzWriteOptions {
  /// Deflate entries (like np.savez_compressed); default stored (like np.savez).
  bool compress = false;
  /// Always use ZIP64 records (otherwise only when sizes/offsets/counts need
  /// them). Mainly for tests; numpy reads either.
  bool forceZip64 = false;
};

/// Writes atomically: a temp file in the same directory, renamed when complete;
/// no partial file on error. Names must be non-empty and unique.
llvm::Error writeNpz(llvm::StringRef path, llvm::ArrayRef<Array> arrays);
llvm::Error writeNpz(llvm::StringRef path, llvm::ArrayRef<Array> arrays,
                     const NpzWriteOptions &options);

/// Reads one .npy file; the result's name is the file name without directory
/// and without a trailing ".npy".
llvm::Expected<Array> readNpy(llvm::StringRef path);

/// Writes one .npy file atomically (same scheme as writeNpz); a.name is unused.
llvm::Error writeNpy(llvm::StringRef path, const Array &a);

} // namespace quantc::npz

#endif // QUANTC_SUPPORT_NPZ_H
