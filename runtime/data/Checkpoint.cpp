//===- Checkpoint.cpp - Parameters + vocabulary in safetensors ------------===//
///
/// \file
/// Writing: 1. build the JSON header (nlohmann ordered_json keeps metadata
/// first, tensors in the caller's order), 2. pad it to 8 bytes, 3. append
/// the f32 data little-endian, 4. write to a temp file (`.rnnc-PID-XXXXXX`
/// in the same directory; stale ones of dead processes are removed), fsync, rename, fsync
/// the directory. Reading checks every field before trusting it; no
/// exception leaves this file. See Checkpoint.h for the layout.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Checkpoint.h"
#include "runtime/data/AtomicFile.h"

#include "ir/FileBytes.h"
#include "ir/Type.h"

#include "runtime/data/Utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <csignal>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rnnc::runtime {

namespace {

const char *const kFormatTag = "rnnc-checkpoint/1";
const char *const kReservedKeys[] = {"format",           "model_name",
                                     "model_hash",       "vocabulary",
                                     "hyper_parameters", "epoch"};
/// Larger headers are corrupt rather than real (safetensors uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

bool hostIsLittleEndian() {
  uint32_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

void appendFloatsLE(std::string &out, const float *data, size_t count) {
  size_t start = out.size();
  out.resize(start + count * 4);
  std::memcpy(&out[start], data, count * 4);
  if (!hostIsLittleEndian())
    for (size_t i = start; i < out.size(); i += 4) {
      std::swap(out[i], out[i + 3]);
      std::swap(out[i + 1], out[i + 2]);
    }
}

void readFloatsLE(const char *bytes, size_t count, float *out) {
  std::memcpy(out, bytes, count * 4);
  if (!hostIsLittleEndian()) {
    auto *raw = reinterpret_cast<unsigned char *>(out);
    for (size_t i = 0; i < count * 4; i += 4) {
      std::swap(raw[i], raw[i + 3]);
      std::swap(raw[i + 1], raw[i + 2]);
    }
  }
}

void appendDoublesLE(std::string &out, const double *data, size_t count) {
  size_t start = out.size();
  out.resize(start + count * 8);
  std::memcpy(&out[start], data, count * 8);
  if (!hostIsLittleEndian())
    for (size_t i = start; i < out.size(); i += 8)
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                   out.begin() + static_cast<std::ptrdiff_t>(i + 8));
}

void readDoublesLE(const char *bytes, size_t count, double *out) {
  std::memcpy(out, bytes, count * 8);
  if (!hostIsLittleEndian()) {
    auto *raw = reinterpret_cast<unsigned char *>(out);
    for (size_t i = 0; i < count * 8; i += 8)
      std::reverse(raw + i, raw + i + 8);
  }
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string describeShape(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

} // namespace

const NamedTensor *Checkpoint::find(std::string_view name) const {
  for (const NamedTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::string hashModelSource(std::string_view modelText) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : modelText) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("fnv1a64:{:016x}", hash);
}

Expected<std::string> serializeCheckpoint(const CheckpointMetadata &metadata,
                                          const std::vector<TensorView> &tensors) {
  auto fail = [](std::string message) { return Error(std::move(message)); };
  if (nlohmann::json::parse(metadata.hyperParametersJson, nullptr, false)
          .is_discarded())
    return fail("hyper-parameters are not valid JSON");
  nlohmann::ordered_json meta;
  meta["format"] = kFormatTag;
  meta["model_name"] = metadata.modelName;
  meta["model_hash"] = metadata.modelHash;
  meta["vocabulary"] = encodeUtf8(metadata.vocabulary);
  meta["hyper_parameters"] = metadata.hyperParametersJson;
  meta["epoch"] = std::to_string(metadata.epoch);
  for (const auto &[key, value] : metadata.extra) {
    if (std::find(std::begin(kReservedKeys), std::end(kReservedKeys), key) !=
        std::end(kReservedKeys))
      return fail(fmt::format("metadata key '{}' is reserved", key));
    meta[key] = value;
  }

  nlohmann::ordered_json header;
  header["__metadata__"] = std::move(meta);
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorView &t : tensors) {
    if (t.name.empty() || t.name == "__metadata__" || !names.insert(t.name).second)
      return fail(fmt::format("bad or duplicate tensor name '{}'", t.name));
    uint64_t count = 1;
    for (int64_t d : t.shape) {
      if (d < 0)
        return fail(fmt::format("tensor '{}' has a negative dimension", t.name));
      count *= static_cast<uint64_t>(d);
    }
    if (count != 0 && !t.data && !t.data64)
      return fail(fmt::format("tensor '{}' has no data", t.name));
    uint64_t width = t.data64 ? 8 : 4;
    header[t.name] = {{"dtype", t.data64 ? "F64" : "F32"},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + count * width}}};
    offset += count * width;
  }
  std::string headerText;
  try {
    headerText = header.dump();
  } catch (const std::exception &e) { // invalid UTF-8 in a name or value
    return fail(fmt::format("cannot encode checkpoint header: {}", e.what()));
  }
  while (headerText.size() % 8 != 0)
    headerText.push_back(' ');

  std::string bytes;
  bytes.reserve(8 + headerText.size() + offset);
  uint64_t headerLength = headerText.size();
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>((headerLength >> (8 * i)) & 0xFF));
  bytes += headerText;
  for (const TensorView &t : tensors) {
    size_t count = 1;
    for (int64_t d : t.shape)
      count *= static_cast<size_t>(d);
    if (count != 0 && t.data64)
      appendDoublesLE(bytes, t.data64, count);
    else if (count != 0)
      appendFloatsLE(bytes, t.data, count);
  }
  return bytes;
}

namespace {

/// Whether `name` is a temp file of a save (`.rnnc-<pid>-XXXXXX`, or the
/// `.<base>.tmp.<pid>` earlier versions used for `base`) whose process no
/// longer runs.
bool isStaleTemp(const std::string &name, const std::string &base) {
  std::string pid;
  if (name.rfind(".rnnc-", 0) == 0) {
    size_t dash = name.find('-', 6);
    if (dash == std::string::npos || name.size() != dash + 7)
      return false;
    pid = name.substr(6, dash - 6);
  } else if (name.rfind("." + base + ".tmp.", 0) == 0) {
    pid = name.substr(base.size() + 6);
  } else {
    return false;
  }
  if (pid.empty() || pid.size() > 9 ||
      pid.find_first_not_of("0123456789") != std::string::npos)
    return false;
  pid_t owner = static_cast<pid_t>(std::stol(pid));
  return owner > 0 && owner != ::getpid() && ::kill(owner, 0) != 0 &&
         errno == ESRCH;
}

/// Removes the temp files that killed saves left in `dir`.
void removeStaleTemps(const std::string &dir, const std::string &base) {
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return;
  while (struct dirent *entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (isStaleTemp(name, base))
      ::unlinkat(::dirfd(d), name.c_str(), 0);
  }
  ::closedir(d);
}

} // namespace

Expected<void> saveCheckpoint(const std::string &path,
                              const CheckpointMetadata &metadata,
                              const std::vector<TensorView> &tensors) {
  Expected<std::string> bytes = serializeCheckpoint(metadata, tensors);
  if (!bytes)
    return bytes.error();
  removeStaleTemps(directoryOf(path),
                   path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1));
  return writeFileAtomically(path, *bytes, "checkpoint ");
}

namespace {

/// A JSON parser callback that records, in `duplicate`, the first key given
/// twice in one object ("tensor 'W'", "key 'epoch' of '__metadata__'"):
/// JSON parsers keep the last of equal keys, a checkpoint must not.
nlohmann::json::parser_callback_t keyRepeatChecker(std::string &duplicate) {
  struct Level {
    std::set<std::string> keys;
    std::string current;
  };
  auto levels = std::make_shared<std::vector<Level>>();
  return [levels, &duplicate](int, nlohmann::json::parse_event_t event,
                              nlohmann::json &parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start)
      levels->emplace_back();
    else if (event == Event::object_end && !levels->empty())
      levels->pop_back();
    else if (event == Event::key && !levels->empty() && parsed.is_string()) {
      Level &level = levels->back();
      level.current = parsed.get<std::string>();
      if (!level.keys.insert(level.current).second && duplicate.empty()) {
        size_t depth = levels->size();
        duplicate = depth > 1 ? fmt::format("key '{}' of '{}'", level.current,
                                            (*levels)[depth - 2].current)
                    : level.current == "__metadata__"
                        ? "'__metadata__'"
                        : fmt::format("tensor '{}'", level.current);
      }
    }
    return true;
  };
}

/// Reads one tensor entry of the header; `dataSize` bounds the offsets.
bool parseTensorEntry(const std::string &file, const std::string &tensorName,
                      const nlohmann::json &entry, NamedTensor &tensor,
                      uint64_t &begin, uint64_t &end, std::string *error) {
  auto fail = [&](const std::string &message) {
    if (error)
      *error = fmt::format("checkpoint '{}': tensor '{}': {}", file, tensorName,
                           message);
    return false;
  };
  if (!entry.is_object())
    return fail("header entry is not an object");
  auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string())
    return fail("no dtype");
  // F64 only for the optimizer state under reserved "__" names.
  tensor.isF64 = dtype->get<std::string>() == "F64" &&
                 tensorName.rfind("__", 0) == 0;
  if (dtype->get<std::string>() != "F32" && !tensor.isF64)
    return fail(fmt::format("dtype is {}; only F32 is supported",
                            dtype->get<std::string>()));
  const uint64_t width = tensor.isF64 ? 8 : 4;
  auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array())
    return fail("no shape");
  // The IR's limits (ir/Type.h), checked before any multiplication, so a
  // count never wraps and nothing is allocated for a shape the file lacks.
  for (const nlohmann::json &d : *shape) {
    if (!d.is_number_unsigned())
      return fail("shape is not a list of sizes");
    uint64_t size = d.get<uint64_t>();
    if (size > uint64_t(ir::kMaxDimSize))
      return fail(fmt::format("dimension {} is larger than the limit {}", size,
                              ir::kMaxDimSize));
    tensor.shape.push_back(static_cast<int64_t>(size));
  }
  uint64_t count = 1;
  if (std::find(tensor.shape.begin(), tensor.shape.end(), 0) != tensor.shape.end())
    count = 0;
  for (size_t i = 0; count != 0 && i < tensor.shape.size(); ++i) {
    uint64_t size = static_cast<uint64_t>(tensor.shape[i]);
    if (size > uint64_t(ir::kMaxElements) / count)
      return fail(fmt::format("shape {} has more than {} elements",
                              describeShape(tensor.shape), ir::kMaxElements));
    count *= size;
  }
  auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    return fail("data_offsets is not [begin, end]");
  begin = (*offsets)[0].get<uint64_t>();
  end = (*offsets)[1].get<uint64_t>();
  if (end < begin || end - begin != count * width)
    return fail(fmt::format("data_offsets [{}, {}] do not hold shape {} of {}",
                            begin, end, describeShape(tensor.shape),
                            tensor.isF64 ? "F64" : "F32"));
  tensor.name = tensorName;
  return true;
}

Expected<Checkpoint> parseCheckpointImpl(std::string_view bytes,
                                         const std::string &file) {
  auto fail = [&](const std::string &message) {
    return Error(fmt::format("checkpoint '{}': {}", file, message));
  };
  if (bytes.size() < 8)
    return fail(fmt::format("file is truncated ({} bytes; the 8-byte header "
                            "length is missing)",
                            bytes.size()));
  uint64_t headerLength = 0;
  for (int i = 0; i < 8; ++i)
    headerLength |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (headerLength > kMaxHeaderBytes)
    return fail(fmt::format("bad header length {}", headerLength));
  if (8 + headerLength > bytes.size())
    return fail(fmt::format("file is truncated (header needs {} bytes, {} present)",
                            headerLength, bytes.size() - 8));
  std::string duplicate;
  nlohmann::json header = nlohmann::json::parse(
      bytes.substr(8, headerLength), keyRepeatChecker(duplicate), false);
  if (header.is_discarded() || !header.is_object())
    return fail("bad header: not a JSON object");
  if (!duplicate.empty())
    return fail("bad header: " + duplicate + " is given twice");

  Checkpoint checkpoint;
  auto metaIt = header.find("__metadata__");
  if (metaIt == header.end() || !metaIt->is_object())
    return fail("bad header: no __metadata__; not an rnnc checkpoint");
  std::map<std::string, std::string> meta;
  for (auto it = metaIt->begin(); it != metaIt->end(); ++it) {
    if (!it->is_string())
      return fail(fmt::format("bad header: metadata '{}' is not a string", it.key()));
    meta[it.key()] = it->get<std::string>();
  }
  if (meta["format"] != kFormatTag)
    return fail(fmt::format("bad header: format is '{}', expected '{}'",
                            meta["format"], kFormatTag));
  CheckpointMetadata &m = checkpoint.metadata;
  m.modelName = meta["model_name"];
  m.modelHash = meta["model_hash"];
  Expected<std::u32string> vocab = decodeUtf8(meta["vocabulary"]);
  if (!vocab)
    return fail("bad header: vocabulary: " + vocab.error().message());
  m.vocabulary = std::move(*vocab);
  m.hyperParametersJson = meta.count("hyper_parameters") ? meta["hyper_parameters"] : "{}";
  if (nlohmann::json::parse(m.hyperParametersJson, nullptr, false).is_discarded())
    return fail("bad header: hyper_parameters is not valid JSON");
  const std::string &epoch = meta["epoch"];
  if (epoch.empty() || epoch.size() > 18 ||
      !std::all_of(epoch.begin(), epoch.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail(fmt::format("bad header: epoch '{}' is not a number", epoch));
  m.epoch = std::stoll(epoch);
  for (const auto &[key, value] : meta)
    if (std::find(std::begin(kReservedKeys), std::end(kReservedKeys), key) ==
        std::end(kReservedKeys))
      m.extra[key] = value;

  // Tensors, then check that their byte ranges tile the data section.
  std::string_view data = bytes.substr(8 + headerLength);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::vector<uint64_t> begins;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__")
      continue;
    NamedTensor tensor;
    uint64_t begin = 0, end = 0;
    std::string tensorError;
    if (!parseTensorEntry(file, it.key(), *it, tensor, begin, end, &tensorError))
      return Error(tensorError);
    ranges.push_back({begin, end});
    begins.push_back(begin);
    checkpoint.tensors.push_back(std::move(tensor));
  }
  std::vector<std::pair<uint64_t, uint64_t>> sorted = ranges;
  std::sort(sorted.begin(), sorted.end());
  uint64_t covered = 0;
  for (const auto &[begin, end] : sorted) {
    if (begin != covered)
      return fail("bad header: tensor data_offsets overlap or leave a gap");
    covered = end;
  }
  if (covered > data.size())
    return fail(fmt::format("file is truncated (tensor data needs {} bytes, {} "
                            "present)",
                            covered, data.size()));
  if (covered < data.size())
    return fail(fmt::format("{} unexpected bytes after the tensor data",
                            data.size() - covered));
  for (size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    NamedTensor &t = checkpoint.tensors[i];
    size_t bytesOf = static_cast<size_t>(ranges[i].second - ranges[i].first);
    if (t.isF64) {
      t.data64.resize(bytesOf / 8);
      if (!t.data64.empty())
        readDoublesLE(data.data() + ranges[i].first, t.data64.size(), t.data64.data());
      continue;
    }
    size_t count = bytesOf / 4;
    t.data.resize(count);
    if (count)
      readFloatsLE(data.data() + ranges[i].first, count, t.data.data());
  }
  // Present tensors in file order, as they were written.
  std::vector<size_t> order(checkpoint.tensors.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return begins[a] < begins[b]; });
  std::vector<NamedTensor> inFileOrder;
  for (size_t i : order)
    inFileOrder.push_back(std::move(checkpoint.tensors[i]));
  checkpoint.tensors = std::move(inFileOrder);
  return checkpoint;
}

} // namespace

Expected<Checkpoint> parseCheckpoint(std::string_view bytes,
                                     const std::string &name) {
  try {
    return parseCheckpointImpl(bytes, name);
  } catch (const std::exception &e) { // e.g. bad_alloc; never escape
    return Error(fmt::format("checkpoint '{}': {}", name, e.what()));
  }
}

Expected<Checkpoint> loadCheckpoint(const std::string &path) {
  // readFileBytes reads regular files only: a device or a FIFO (/dev/zero,
  // a pipe) would be read until memory runs out or block forever.
  Expected<std::string> bytes = readFileBytes(path, "checkpoint ");
  if (!bytes)
    return bytes.error();
  return parseCheckpoint(*bytes, path);
}

Expected<void> checkCheckpoint(const Checkpoint &checkpoint,
                               const std::string &name,
                               const CheckpointExpectation &expected) {
  auto fail = [&](const std::string &message) -> Expected<void> {
    return Error(fmt::format("checkpoint '{}': {}", name, message));
  };
  const CheckpointMetadata &m = checkpoint.metadata;
  if (!expected.modelHash.empty() && m.modelHash != expected.modelHash)
    return fail(fmt::format("was saved for a different model ('{}', source hash "
                            "{}; this model's source hash is {})",
                            m.modelName, m.modelHash, expected.modelHash));
  if (expected.vocabulary && *expected.vocabulary != m.vocabulary) {
    const std::u32string &want = *expected.vocabulary;
    size_t i = 0;
    while (i < want.size() && i < m.vocabulary.size() && want[i] == m.vocabulary[i])
      ++i;
    std::string where =
        i < want.size() && i < m.vocabulary.size()
            ? fmt::format("; id {} is {} there but {} here", i,
                          describeCodePoint(m.vocabulary[i]),
                          describeCodePoint(want[i]))
            : "";
    return fail(fmt::format("vocabulary mismatch: the checkpoint has {} "
                            "characters, this corpus {}{}",
                            m.vocabulary.size(), want.size(), where));
  }
  for (const CheckpointExpectation::Tensor &t : expected.tensors) {
    const NamedTensor *found = checkpoint.find(t.name);
    if (!found)
      return fail(fmt::format("missing tensor '{}'", t.name));
    if (found->isF64)
      return fail(fmt::format("tensor '{}' is F64, expected F32", t.name));
    if (found->shape != t.shape)
      return fail(fmt::format("tensor '{}' has shape {}, expected {}", t.name,
                              describeShape(found->shape), describeShape(t.shape)));
  }
  return {};
}

} // namespace rnnc::runtime
