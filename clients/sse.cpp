#include "clients/sse.hpp"

namespace reznet::clients {

bool SseParser::Push(std::string_view bytes, const Handler& on_event) {
  if (failed_) return false;
  total_ += bytes.size();
  if (total_ > limits_.max_stream_bytes) {
    failed_ = true;
    failure_ = "event stream exceeds max_stream_bytes (" +
               std::to_string(limits_.max_stream_bytes) + " bytes)";
    return false;
  }
  if (!bom_checked_) {
    // The BOM may itself arrive split; wait until three bytes (or a non-BOM prefix) are known.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    line_.append(bytes);
    if (line_.size() < 3 && kBom.starts_with(line_)) return true;
    bom_checked_ = true;
    std::string pending = std::move(line_);
    line_.clear();
    std::string_view rest = pending;
    if (rest.starts_with(kBom)) rest.remove_prefix(3);
    total_ -= bytes.size();  // counted again below
    return Push(std::string(rest), on_event);
  }
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\r' && c != '\n') continue;
    if (c == '\n' && skip_lf_ && i == start && line_.empty()) {
      // The LF of a CRLF whose CR ended the previous read or line.
      skip_lf_ = false;
      start = i + 1;
      continue;
    }
    skip_lf_ = false;
    if (line_.empty()) {
      Line(bytes.substr(start, i - start), on_event);
    } else {
      line_.append(bytes.substr(start, i - start));
      Line(line_, on_event);
      line_.clear();
    }
    if (failed_) {
      failure_ = LineTooLong();
      return false;
    }
    if (c == '\r') {
      if (i + 1 < bytes.size()) {
        if (bytes[i + 1] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
    start = i + 1;
  }
  if (start < bytes.size()) {
    skip_lf_ = false;
    line_.append(bytes.substr(start));
  }
  if (line_.size() > limits_.max_line_bytes) {
    failed_ = true;
    failure_ = LineTooLong();
    return false;
  }
  return true;
}

std::string SseParser::LineTooLong() const {
  return "event stream line exceeds max_line_bytes (" + std::to_string(limits_.max_line_bytes) +
         " bytes)";
}

void SseParser::Line(std::string_view line, const Handler& on_event) {
  if (line.size() > limits_.max_line_bytes) {
    failed_ = true;
    return;
  }
  if (line.empty()) {
    if (has_data_) {
      SseEvent event;
      event.type = type_.empty() ? "message" : type_;
      event.data = std::move(data_);
      if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
      event.id = last_id_;
      event.retry = retry_;
      on_event(event);
    }
    data_.clear();
    type_.clear();
    has_data_ = false;
    pending_fields_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment (keep-alives like ": OPENROUTER PROCESSING")
  pending_fields_ = true;
  auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos &&
        value.size() < 10) {
      retry_ = std::stol(std::string(value));
    }
  }
}

bool SseParser::Finish() {
  const bool half = has_data_ || !line_.empty() || pending_fields_;
  data_.clear();
  type_.clear();
  line_.clear();
  has_data_ = false;
  pending_fields_ = false;
  return half;
}

}  // namespace reznet::clients
