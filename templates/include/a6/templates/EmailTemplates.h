// The email templates of a deployment, one folder (shipped: templates/email/):
//   <dir>/<name>.<lang>.subject   one line of Mustache, the subject
//   <dir>/<name>.<lang>.txt       the text/plain body
//   <dir>/<name>.<lang>.html      the text/html body
//   <dir>/partials/<partial>.mustache   shared pieces: "html-*" for HTML templates (e.g. the
//                                       html-layout parent), "text-*" for subjects and text bodies
// <name> is [a-z0-9_-]+, <lang> one of en, fr, es; every name has all three parts in every
// language. In HTML, {{x}} escapes the value (&, <, >, ", '). Subjects and text bodies are not HTML,
// so they must write every value raw, {{{x}}} or {{& x}}: a plain {{x}} there is refused at load
// rather than letting "R&D" arrive as "R&amp;D". A rendered subject is one line: line breaks and
// tabs (a value may hold them) become single spaces, and it is trimmed.
// Everything is loaded and checked at construction, so that nothing fails when an email is sent.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "a6/templates/Mustache.h"
#include "a6/templates/Value.h"

namespace a6::templates {

struct RenderedEmail {
  std::string subject;  // one line, UTF-8, not encoded (the MIME layer does RFC 2047)
  std::string text;
  std::string html;
};

class EmailTemplates {
 public:
  // Throws a6::SourceError(Definition) with the file, the line and the reason for a Mustache syntax
  // error, a name not in emailContextNames(), a plain {{x}} in a subject or text body, a partial or
  // parent that does not exist (or is of the other kind), a subject on more than one line, a file
  // name that is not <name>.<lang>.(subject|txt|html) with a supported language, or a template
  // missing one of its parts or languages (then the file is the missing one and the line 0).
  // Throws a6::Error(Config) when the folder cannot be read.
  explicit EmailTemplates(const std::string& dir);

  // Throws a6::Error(NotFound) for an unknown name or language.
  RenderedEmail render(const std::string& name, const std::string& lang, const Value& context) const;

  std::vector<std::string> names() const;  // sorted
  bool has(const std::string& name, const std::string& lang) const;

 private:
  struct Entry {
    Template subject;
    Template text;
    Template html;
  };
  std::optional<std::string> partial(const std::string& name) const;

  std::map<std::pair<std::string, std::string>, Entry> templates_;  // (name, lang)
  std::map<std::string, std::string> partials_;                     // name -> text
};

// Every dotted name an email template may use. All values are display-ready strings (dates
// already written for the language, e.g. "25 novembre 2026"); an absent value is left out of the
// context, so {{#x}}…{{/x}} shows a sentence only when there is something to say.
//   recipient.name          the greeting's display name
//   ministry.name           who sends (signature line, footer)
//   ministry.email          the office's contact address, optional
//   party.name              the host country, optional
//   request.id, request.title, request.organisation, request.submitted (date)
//   stage.name, stage.role (the role's display name), stage.due (date)
//   decision.name (e.g. "Authorised"), decision.comment, decision.actor, decision.date
//   authorisation.ref, authorisation.version
//   letter.attached         boolean: the signed letter is attached to this email
//   partner.name            the partner Party (partner-notice), objection.due (date)
//   finding.code, finding.severity, finding.text, finding.received (date)
//   webhook.url, webhook.last_error, webhook.failures (count), webhook.disabled_at (date)
//   links.request (the request's page), links.portal (the portal's home),
//   links.webhooks (the webhook administration page)
const std::set<std::string>& emailContextNames();

// The names above that are booleans (sections only).
const std::set<std::string>& emailContextFlags();

// A context with every name set to `sample` (flags true), for checks, previews and tests.
Value sampleEmailContext(const std::string& sample);

// The templates the service sends (those the shipped workflows name, and the ones the service
// sends on its own: sla-reminder, sla-breach, webhook-disabled, finding-received).
const std::vector<std::string>& requiredEmailTemplates();

}  // namespace a6::templates
