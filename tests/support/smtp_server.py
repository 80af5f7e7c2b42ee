#!/usr/bin/python3
"""A real SMTP server on loopback for the email tests (aiosmtpd, as packaged in Debian 12: 1.4.3).

Serve:
  smtp_server.py --port-file PORT --out-dir DIR [--cert server.pem --key server.key]
                 [--user NAME --password SECRET] [--reject-rcpt ADDRESS]... [--fail-first N]
                 [--exclude-auth PLAIN] [--port 0] [--host 127.0.0.1]

  With --cert and --key the server offers STARTTLS and requires it before anything else
  (require_starttls, AUTH only over TLS); without them it speaks plain SMTP (for Security::None).
  With --user/--password AUTH PLAIN and LOGIN are offered, that one pair is accepted (535 for any
  other) and AUTH is required before MAIL; --exclude-auth takes a mechanism off. --reject-rcpt answers 550 to RCPT TO for that address;
  --fail-first N answers 451 to the end of the first N DATA commands.
  Each accepted message is written as DIR/<n>.eml (the bytes received, dot-unstuffed) and then
  DIR/<n>.json (envelope: mail_from, rcpt_tos, auth_user, tls); a reader waits for the .json.
  The port (chosen by the system with --port 0) is written to the port file (atomically) and
  printed. SIGTERM or SIGINT: stop listening and exit 0.

Parse (so that tests check messages with an independent MIME parser, Python's email package):
  smtp_server.py --parse DIR/<n>.eml
  prints JSON: subject, from_name, from_address, to, message_id, content_language, date,
  content_type, text, html, attachments [{filename, content_type, size, sha256}], defects,
  max_line_length.

aiosmtpd's Controller is not used: in 1.4.3 it cannot listen on port 0 (it connects to the
configured port to start the SMTP factory), so the asyncio server is created directly.
"""

import argparse
import asyncio
import email
import email.policy
import hashlib
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler:
    def __init__(self, out_dir, reject, fail_first):
        self.out_dir = out_dir
        self.reject = {a.lower() for a in reject}
        self.fail_first = fail_first
        self.data_commands = 0
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: recipient address rejected: user unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.data_commands <= self.fail_first:
            return "451 4.3.0 temporary local problem, try again later"
        self.count += 1
        base = os.path.join(self.out_dir, str(self.count))
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        write_atomically(base + ".eml", content)
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None,
            "tls": session.ssl is not None,
        }
        write_atomically(base + ".json", json.dumps(meta).encode("utf-8"))
        return "250 OK: queued as %d" % self.count


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode("utf-8")
            and auth_data.password == password.encode("utf-8")
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


async def serve(args):
    os.makedirs(args.out_dir, exist_ok=True)
    handler = Handler(args.out_dir, args.reject_rcpt or [], args.fail_first)
    kwargs = {"hostname": "a6-test-smtp"}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        kwargs.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    else:
        kwargs.update(auth_require_tls=False)
    if args.user is not None:
        kwargs.update(authenticator=make_authenticator(args.user, args.password or ""), auth_required=True)
        if args.exclude_auth:
            kwargs.update(auth_exclude_mechanism=args.exclude_auth)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, loop=loop, **kwargs), host=args.host, port=args.port)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        write_atomically(args.port_file, str(port).encode("ascii"))
    print(port, flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def parse(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def content(kind):
        part = msg.get_body(preferencelist=(kind,))
        return part.get_content() if part is not None and part.get_content_subtype() == kind else None

    sender = msg["from"].addresses[0] if msg["from"] else None
    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append({
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        })
    defects = [type(d).__name__ for part in msg.walk() for d in part.defects]
    summary = {
        "subject": str(msg["subject"]) if msg["subject"] is not None else None,
        "from_name": sender.display_name if sender else None,
        "from_address": sender.addr_spec if sender else None,
        "to": [a.addr_spec for a in msg["to"].addresses] if msg["to"] else [],
        "message_id": msg["message-id"],
        "content_language": msg["content-language"],
        "date": msg["date"],
        "auto_submitted": msg["auto-submitted"],
        "content_type": msg.get_content_type(),
        "text": content("plain"),
        "html": content("html"),
        "attachments": attachments,
        "defects": defects,
        "max_line_length": max((len(line) for line in raw.split(b"\r\n")), default=0),
    }
    sys.stdout.buffer.write(json.dumps(summary, ensure_ascii=False).encode("utf-8"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--out-dir")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--reject-rcpt", action="append")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--exclude-auth", action="append", metavar="MECHANISM")
    p.add_argument("--parse", metavar="EML")
    args = p.parse_args()
    if args.parse:
        parse(args.parse)
        return 0
    if not args.out_dir:
        p.error("--out-dir is required")
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
