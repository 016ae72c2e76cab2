#include "tools/dashboard_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>

#include "web/web_assets.h"

namespace tarmac {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return s;
}

// The host part of a Host header ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1").
std::string HostPart(const std::string& header) {
  if (!header.empty() && header.front() == '[') {
    const size_t close = header.find(']');
    return close == std::string::npos ? header : header.substr(1, close - 1);
  }
  const size_t colon = header.find(':');
  if (colon != std::string::npos && header.find(':', colon + 1) == std::string::npos) return header.substr(0, colon);
  return header;
}

void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                 "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}

// gzip of `data` (zlib, RFC 1952 framing).
std::string Gzip(std::string_view data, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

bool AcceptsGzip(const httplib::Request& req) {
  const std::string a = Lower(req.get_header_value("Accept-Encoding"));
  return a.find("gzip") != std::string::npos && a.find("gzip;q=0") == std::string::npos;
}

// JSON answers: "; charset" keeps httplib from compressing them itself (its
// brotli runs at the slowest quality); large ones are gzipped here instead
// when the client is not on this machine (on loopback it would only cost).
constexpr size_t kGzipJsonFrom = 32 * 1024;  // [bytes]

void SetJson(httplib::Response& res, int status, const std::string& body, bool gzip = false) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Vary", "Accept-Encoding");
  if (gzip && body.size() >= kGzipJsonFrom) {
    std::string packed = Gzip(body, 1);
    if (!packed.empty()) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(packed, "application/json; charset=utf-8");
      return;
    }
  }
  res.set_content(body, "application/json; charset=utf-8");
}

// An asset's entity tag: FNV-1a of its bytes.
std::string EntityTag(std::string_view data) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return fmt::format("\"{:016x}\"", h);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  const std::string h = Lower(host);
  if (h == "localhost" || h == "::1") return true;
  in_addr a{};
  if (inet_pton(AF_INET, h.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

DashboardServer::DashboardServer(DashboardApi* api, bool log_requests)
    : api_(api), server_(std::make_unique<httplib::Server>()), log_requests_(log_requests) {
  for (const WebAsset& a : WebAssets()) {
    Packed p;
    p.etag = EntityTag(a.data);
    if (a.content_type.rfind("application/", 0) == 0) p.gzip = Gzip(a.data, 9);
    packed_.emplace(std::string(a.name), std::move(p));
  }
  httplib::Server& s = *server_;
  s.set_tcp_nodelay(true);  // small JSON answers: no Nagle delay
  s.set_keep_alive_timeout(5);
  s.set_read_timeout(10);
  s.set_write_timeout(10);
  s.set_payload_max_length(64 * 1024);  // requests have no body worth reading
  // Every request goes through this one handler: no regex routes.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    SetSecurityHeaders(res);
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      res.set_header("Connection", "close");
      SetJson(res, 405, ApiErrorBody(fmt::format("method {} is not allowed: the dashboard is read-only (GET, HEAD)",
                                                 req.method.substr(0, 20))));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (loopback_ && req.has_header("Host")) {
      const std::string host = HostPart(req.get_header_value("Host"));
      if (!IsLoopbackHost(host)) {
        SetJson(res, 403, ApiErrorBody(fmt::format("Host '{}' is not this loopback server's "
                                                   "(start tarmac serve with --host to serve other names)",
                                                   host.substr(0, 80))));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    const std::string& path = req.path;
    if (path.rfind("/api/", 0) == 0) {
      const ApiReply reply = api_->Get(path, req.params);
      SetJson(res, reply.status, reply.body, !IsLoopbackHost(req.remote_addr) && AcceptsGzip(req));
      return httplib::Server::HandlerResponse::Handled;
    }
    std::string name;
    if (path == "/" || path == "/index.html") {
      name = "index.html";
    } else if (path.rfind("/assets/", 0) == 0) {
      name = path.substr(8);
    }
    const WebAsset* asset = name.empty() ? nullptr : FindWebAsset(name);
    if (asset == nullptr) {
      SetJson(res, 404, ApiErrorBody(fmt::format("no page '{}'", path.substr(0, 80))));
      return httplib::Server::HandlerResponse::Handled;
    }
    // Revalidated by entity tag; the script gzipped once (its type is one
    // httplib leaves alone; HTML and CSS it compresses itself).
    const Packed& p = packed_.at(name);
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", p.etag);
    res.set_header("Vary", "Accept-Encoding");
    if (req.get_header_value("If-None-Match") == p.etag) {
      res.status = 304;
      return httplib::Server::HandlerResponse::Handled;
    }
    res.status = 200;
    if (!p.gzip.empty() && AcceptsGzip(req)) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(p.gzip, std::string(asset->content_type));
    } else {
      res.set_content(asset->data.data(), asset->data.size(), std::string(asset->content_type));
    }
    return httplib::Server::HandlerResponse::Handled;
  });
  // Errors httplib raises itself (a malformed request line, too long a URI)
  // get a JSON body too.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      SetSecurityHeaders(res);
      SetJson(res, res.status, ApiErrorBody(fmt::format("bad request (HTTP {})", res.status)));
    }
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SetJson(res, 500, ApiErrorBody("internal error: " + what));
  });
  if (log_requests_) {
    s.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      fmt::print(stderr, "{} {} -> {}\n", req.method, req.target.substr(0, 200), res.status);
    });
  }
}

DashboardServer::~DashboardServer() { Stop(); }

Result<int> DashboardServer::Bind(const std::string& host, int port) {
  host_ = host;
  loopback_ = IsLoopbackHost(host);
  if (port < 0 || port > 65535) return Error{fmt::format("port {} is not in 0..65535", port)};
  if (port == 0) {
    const int bound = server_->bind_to_any_port(host);
    if (bound <= 0) return Error{fmt::format("cannot listen on {} (no such local address?)", host)};
    port_ = bound;
  } else {
    if (!server_->bind_to_port(host, port)) {
      return Error{fmt::format("cannot listen on {}:{} (port in use, or no such local address?)", host, port)};
    }
    port_ = port;
  }
  return port_;
}

bool DashboardServer::Run() { return server_->listen_after_bind(); }

void DashboardServer::Stop() {
  if (server_) server_->stop();
}

}  // namespace tarmac
