// libFuzzer entry point for one importer (chosen by TARMAC_FUZZ_FORMAT at
// compile time). The contract under test: any byte string either imports or
// yields an Error; never a crash, hang, leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scenarios/import/tfrecord.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#ifdef TARMAC_FUZZ_SPEC
#include "authoring/spec_format.h"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
#ifdef TARMAC_FUZZ_SPEC
  // .spec text is parsed and compiled (a simulation) on reading.
  static const bool registered = (tarmac::RegisterSpecFormat(), true);
  (void)registered;
#endif
#ifdef TARMAC_FUZZ_REFRAME
  // Wrap the input in a valid TFRecord frame, so mutations reach the
  // protobuf parser and the converter instead of failing the CRC check.
  std::string framed;
  tarmac::AppendTfRecord(bytes, &framed);
  bytes = framed;
#endif
  tarmac::Result<std::vector<tarmac::v1::Scenario>> r =
      tarmac::ParseScenarios(bytes, "fuzz", tarmac::Format::TARMAC_FUZZ_FORMAT);
  if (r.ok()) {
    // Whatever imports must also survive validation and re-encoding.
    for (const tarmac::v1::Scenario& s : *r) {
      (void)tarmac::ValidateScenario(s);
      (void)tarmac::SerializeBinary(s);
    }
  } else if (r.error().message.empty()) {
    __builtin_trap();  // every failure must say why
  }
  return 0;
}
