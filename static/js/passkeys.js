/*
 * Passkeys (WebAuthn) for the login, second-step, sudo and security pages. Vanilla JS, no dependencies.
 * A [data-passkey] block names its mode ("register", "login" or "sudo") and two URLs: the server's
 * options for the browser's WebAuthn call, and where the browser's answer is verified. The server
 * answers {"redirect": url} or {"error": message}. Blocks stay hidden where WebAuthn is unavailable.
 */
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return { publicKey: o };
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return { publicKey: o };
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
    };
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body, headers) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, headers || {}),
      body: body || "{}",
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data.error || "Something went wrong. Try again.");
        return data;
      });
    });
  }

  function setUp(block) {
    var mode = block.getAttribute("data-passkey");
    var button = block.querySelector("[data-passkey-start]");
    var error = block.querySelector("[data-passkey-error]");
    var nameInput = block.querySelector("[data-passkey-name]");
    block.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      error.hidden = true;
      post(block.getAttribute("data-options-url"))
        .then(function (options) {
          return mode === "register"
            ? navigator.credentials.create(creationOptions(options))
            : navigator.credentials.get(requestOptions(options));
        })
        .then(function (cred) {
          var headers = nameInput ? { "X-Passkey-Name": nameInput.value.replace(/[^\x20-\x7e]/g, "") } : {};
          return post(block.getAttribute("data-verify-url"), JSON.stringify(credentialJSON(cred)), headers);
        })
        .then(function (data) { window.location.assign(data.redirect); })
        .catch(function (err) {
          error.textContent = err && err.name === "NotAllowedError"
            ? "The passkey request was cancelled or timed out."
            : (err && err.message) || "The passkey did not work.";
          error.hidden = false;
          button.disabled = false;
        });
    });
  }

  function init() {
    if (!window.PublicKeyCredential || !navigator.credentials) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey]"), setUp);
  }

  if (document.readyState !== "loading") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
