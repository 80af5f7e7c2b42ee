// The portal: its pages and assets (service/web, compiled in), the sign-in that turns a user name
// and password into the API's own bearer token, and the review queue the ministry pages show.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "a6/core/Error.h"
#include "a6/service/app/Logging.h"
#include "a6/service/app/Passwords.h"
#include "a6/service/http/Auth.h"
#include "a6/service/http/RequestJson.h"
#include "a6/signing/Digest.h"
#include "http/Routes.h"

namespace a6::service {

// Generated from service/web by EmbedWeb.cmake.
bool webFile(std::string_view path, std::string_view& contentType, std::string_view& bytes);
std::vector<std::string_view> webFilePaths();

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Scripts and styles only from this origin, no inline code, nothing framed, no plugins; the API
// is called on the same origin. Blob URLs are how a downloaded letter is handed to the browser.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

constexpr std::size_t kSessionBodyBytes = 8 * 1024;
constexpr std::size_t kMaxUserName = 64;

// Sign-in throttle (in memory, per process; see docs/security.md): after kMaxFailures failed
// sign-ins for one user name within kWindow, that name is refused without a password check for
// kLockout. A success clears the count. Unknown names are counted alike, so that the answer does
// not tell which names exist.
constexpr int kMaxFailures = 5;
constexpr std::chrono::minutes kWindow{15};
constexpr std::chrono::minutes kLockout{15};
constexpr std::size_t kMaxTracked = 10000;

class SignInThrottle {
 public:
  explicit SignInThrottle(const Clock& clock) : clock_(clock) {}

  // Seconds to wait before trying again, or 0 when an attempt may be made now.
  long long retryAfter(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return 0;
    TimePoint now = clock_.now();
    if (it->second.lockedUntil > now) {
      return std::max<long long>(
          1, std::chrono::duration_cast<std::chrono::seconds>(it->second.lockedUntil - now).count());
    }
    return 0;
  }

  void failed(const std::string& name) {
    std::lock_guard lock(mutex_);
    TimePoint now = clock_.now();
    if (entries_.size() >= kMaxTracked) prune(now);
    Entry& e = entries_[name];
    if (e.failures == 0 || now - e.firstFailure > kWindow) {
      e.failures = 0;
      e.firstFailure = now;
    }
    if (++e.failures >= kMaxFailures) {
      e.lockedUntil = now + kLockout;
      e.failures = 0;
    }
  }

  void succeeded(const std::string& name) {
    std::lock_guard lock(mutex_);
    entries_.erase(name);
  }

 private:
  struct Entry {
    int failures = 0;
    TimePoint firstFailure{};
    TimePoint lockedUntil{};
  };

  void prune(TimePoint now) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      bool stale = it->second.lockedUntil <= now && now - it->second.firstFailure > kWindow;
      it = stale ? entries_.erase(it) : std::next(it);
    }
  }

  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// The same words for an unknown user, a disabled one, one without a password and a wrong
// password: the answer must not tell which names exist.
[[noreturn]] void refuseSignIn() {
  throw Error(ErrorCode::Unauthenticated, "the user name or the password is not right");
}

Response tooManyAttempts(const std::string& instance, long long retryAfter) {
  Object body;
  body.set("type", "urn:a6auth:problem:too-many-requests");
  body.set("title", "Too many attempts");
  body.set("status", 429);
  body.set("detail", "too many failed sign-ins for this user name; try again in " + std::to_string(retryAfter) +
                         " seconds");
  body.set("instance", instance);
  Response r;
  r.status = 429;
  r.contentType = "application/problem+json";
  r.body = canonicalJson(Poco::Dynamic::Var(body));
  r.headers.emplace_back("Retry-After", std::to_string(retryAfter));
  return r;
}

Object::Ptr userJson(const User& u) {
  Object::Ptr o = new Object;
  o->set("name", u.name);
  o->set("display_name", u.displayName.empty() ? u.name : u.displayName);
  o->set("organisation", u.organisation);
  std::vector<std::string> roles = u.roles;
  std::sort(roles.begin(), roles.end());
  Array::Ptr list = new Array;
  for (const auto& r : roles) list->add(r);
  o->set("roles", list);
  return o;
}

Response signIn(Services& s, const TokenService& tokens, SignInThrottle& throttle, Exchange& ex) {
  Object::Ptr body = ex.jsonObject(4);
  std::vector<FieldError> errors;
  for (const auto& [k, v] : *body) {
    if (k != "username" && k != "password") errors.push_back({k, "unknown_field", "is not a field here"});
  }
  auto stringField = [&](const std::string& key, std::size_t max) -> std::string {
    if (!body->has(key) || body->isNull(key)) {
      errors.push_back({key, "required", "is required."});
      return "";
    }
    Poco::Dynamic::Var v = body->get(key);
    if (!v.isString()) {
      errors.push_back({key, "type", "must be a string."});
      return "";
    }
    std::string text = v.extract<std::string>();
    if (text.empty()) errors.push_back({key, "required", "is required."});
    if (text.size() > max) errors.push_back({key, "length", "must be at most " + std::to_string(max) + " bytes."});
    return text;
  };
  std::string name = stringField("username", kMaxUserName);
  std::string password = stringField("password", kPasswordMaxLength);
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the sign-in is not valid", std::move(errors));

  const std::string key = Poco::toLower(name);
  if (long long wait = throttle.retryAfter(key); wait > 0) {
    logEvent(Poco::Logger::get("a6auth.auth"), Poco::Message::PRIO_WARNING, "sign-in refused: throttled",
             {{"request_id", ex.requestId}, {"user", name}});
    return tooManyAttempts(ex.path(), wait);
  }
  auto user = s.store.findUser(name);
  bool usable = user && user->active && user->passwordHash;
  // Always one PBKDF2 run, against a decoy when there is nothing to compare with, so that an
  // unknown name takes as long as a wrong password.
  bool match = verifyPassword(password, usable ? *user->passwordHash : decoyPasswordHash());
  if (!usable || !match) {
    throttle.failed(key);
    logEvent(Poco::Logger::get("a6auth.auth"), Poco::Message::PRIO_WARNING, "sign-in failed",
             {{"request_id", ex.requestId}, {"user", name}});
    refuseSignIn();
  }
  throttle.succeeded(key);
  Principal p;
  p.name = user->name;
  p.roles.insert(user->roles.begin(), user->roles.end());
  p.organisation = user->organisation;
  ex.principal = p;  // for the access log

  Object::Ptr out = new Object;
  out->set("token", tokens.issue(user->name));
  out->set("expires_at", formatTimestamp(s.clock.now() + s.config.auth.tokenTtl));
  out->set("user", userJson(*user));
  Response r = Response::json(200, canonicalJson(out));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Events that do not mean "this waits for you": the applicant's withdrawal, and what an approver
// may do to any authorisation at any time.
bool waitsForCaller(const std::string& event, const RequestRecord& r) {
  if (event == "withdraw" || event == "open_amendment" || event == "revoke") return false;
  if (event == "submit") return r.state == "changes_requested";
  return true;
}

Response queue(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!readsEverything(p) && !p.hasRole("applicant")) {
    throw Error(ErrorCode::Forbidden, "your roles do not give access to requests");
  }
  struct Item {
    RequestRecord record;
    std::vector<std::string> events;
    std::string dueAt;
    std::string reminderAt;
  };
  std::vector<Item> items;
  bool truncated = false;
  constexpr int kPageSize = 200;
  constexpr int kMaxPages = 10;
  for (const char* state : {"in_review", "approved", "amendment_in_review", "changes_requested"}) {
    RequestQuery q;
    if (!readsEverything(p)) q.organisation = p.organisation;
    q.state = state;
    q.limit = kPageSize;
    for (int page = 0; page < kMaxPages; ++page) {
      RequestPage result = s.store.listRequests(q);
      for (auto& r : result.items) {
        if (r.party != s.config.party) continue;
        auto available = availableEvents(s, r, p);
        std::vector<std::string> waiting;
        for (const auto& e : available) {
          if (waitsForCaller(e, r)) waiting.push_back(e);
        }
        if (waiting.empty()) continue;
        Item item{r, std::move(waiting), "", ""};
        for (const auto& t : s.store.pendingTimers(r.id)) {
          if (t.stage != r.stage) continue;
          if ((t.kind == "breach" || t.kind == "timeout") && (item.dueAt.empty() || t.dueAt < item.dueAt)) {
            item.dueAt = t.dueAt;
          }
          if (t.kind == "reminder" && (item.reminderAt.empty() || t.dueAt < item.reminderAt)) {
            item.reminderAt = t.dueAt;
          }
        }
        items.push_back(std::move(item));
      }
      if (!result.nextCursor) break;
      if (page + 1 == kMaxPages) truncated = true;
      q.beforeId = result.nextCursor;
    }
  }
  // Overdue first, then by due date, then what has no SLA, longest waiting first. RFC 3339 UTC
  // timestamps of one format compare as text.
  const std::string now = formatTimestamp(s.clock.now());
  std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    bool aOver = !a.dueAt.empty() && a.dueAt < now;
    bool bOver = !b.dueAt.empty() && b.dueAt < now;
    if (aOver != bOver) return aOver;
    if (a.dueAt.empty() != b.dueAt.empty()) return !a.dueAt.empty();
    if (a.dueAt != b.dueAt) return a.dueAt < b.dueAt;
    return a.record.updatedAt < b.record.updatedAt;
  });
  Array::Ptr list = new Array;
  for (const auto& item : items) {
    const RequestRecord& r = item.record;
    Object::Ptr o = requestSummaryJson(r);
    if (r.workflowName.empty()) {
      o->set("workflow", Poco::Dynamic::Var());
    } else {
      Object::Ptr w = new Object;
      w->set("name", r.workflowName);
      w->set("version", r.workflowVersion);
      o->set("workflow", w);
    }
    Array::Ptr events = new Array;
    for (const auto& e : item.events) events->add(e);
    o->set("available_events", events);
    o->set("due_at", item.dueAt.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(item.dueAt));
    o->set("reminder_at", item.reminderAt.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(item.reminderAt));
    o->set("overdue", !item.dueAt.empty() && item.dueAt < now);
    o->set("updated_at", r.updatedAt);
    list->add(o);
  }
  Object::Ptr out = new Object;
  out->set("items", list);
  out->set("truncated", truncated);
  out->set("now", now);
  return Response::json(200, canonicalJson(out));
}

// One file of the portal, with the headers every page gets. Each file's ETag is the SHA-256 of
// its bytes: browsers revalidate (no-cache) and get 304 while the binary is unchanged.
class Pages {
 public:
  Pages() {
    for (auto path : webFilePaths()) {
      std::string_view type;
      std::string_view bytes;
      webFile(path, type, bytes);
      etags_[std::string(path)] = "\"" + signing::sha256Hex(bytes).substr(0, 32) + "\"";
    }
  }

  Response serve(Exchange& ex, const std::string& path) const {
    std::string_view type;
    std::string_view bytes;
    if (!webFile(path, type, bytes)) throw Error(ErrorCode::NotFound, "no such resource: " + ex.path());
    const std::string& etag = etags_.at(path);
    Response r;
    r.contentType = std::string(type);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
    if (ex.header("If-None-Match") == etag) {
      r.status = 304;
      return r;
    }
    r.body = std::string(bytes);
    return r;
  }

 private:
  std::map<std::string, std::string> etags_;
};

}  // namespace

void registerWebRoutes(Router& router, Services& s) {
  auto pages = std::make_shared<const Pages>();
  auto tokens = std::make_shared<const TokenService>(s.config.auth, s.clock);
  auto throttle = std::make_shared<SignInThrottle>(s.clock);

  // The single page: "/" for everything signed in (the page routes itself with the URL's
  // fragment), "/verify" for the public check a letter's QR code leads to.
  auto index = [pages](Exchange& ex) { return pages->serve(ex, "index.html"); };
  router.add({"GET", "/", false, 0, index, {}});
  router.add({"GET", "/verify", false, 0, index, {}});
  router.add({"GET",
              "/assets/{file}",
              false,
              0,
              [pages](Exchange& ex) {
                const std::string& file = ex.params.at("file");
                // Only names of the folder itself: no "..", no hidden files.
                if (file.empty() || file[0] == '.' || file.find("..") != std::string::npos) {
                  throw Error(ErrorCode::NotFound, "no such resource: " + ex.path());
                }
                return pages->serve(ex, "assets/" + file);
              },
              {}});

  router.add({"POST",
              "/api/v1/session",
              false,
              kSessionBodyBytes,
              [&s, tokens, throttle](Exchange& ex) { return signIn(s, *tokens, *throttle, ex); },
              {}});
  router.add({"GET", "/api/v1/queue", true, 0, [&s](Exchange& ex) { return queue(s, ex); }, {}});
}

}  // namespace a6::service
