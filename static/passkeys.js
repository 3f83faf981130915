// Passkeys and security keys (WebAuthn): the browser half of "Add a passkey" and of the
// second step of the login. The server sends the options as JSON (py_webauthn's
// options_to_json) and checks the answer; this file only converts between JSON and the
// browser's binary values and calls navigator.credentials. No inline script (CSP).
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var text = atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) { json.response.transports = response.getTransports(); }
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) { json.response.userHandle = toBase64url(response.userHandle); }
    }
    return json;
  }

  function post(url, body) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": meta ? meta.content : "" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  function show(form, text) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = text;
      status.hidden = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-passkey]");
    if (!form) { return; }
    event.preventDefault();
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show(form, form.getAttribute("data-unsupported"));
      return;
    }
    var registering = form.getAttribute("data-passkey") === "register";
    var nameField = form.querySelector('input[name="name"]');
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    post(form.getAttribute("data-options"))
      .then(function (result) {
        if (!result.ok) { throw result; }
        return registering
          ? navigator.credentials.create({ publicKey: creationOptions(result.data) })
          : navigator.credentials.get({ publicKey: requestOptions(result.data) });
      })
      .then(function (credential) {
        var body = { credential: credentialJSON(credential) };
        if (registering) { body.name = nameField ? nameField.value : ""; }
        return post(form.getAttribute("action"), body);
      })
      .then(function (result) {
        if (result.data && result.data.redirect) {
          window.location.assign(result.data.redirect);
          return;
        }
        throw result;
      })
      .catch(function (problem) {
        button.disabled = false;
        var message = problem && problem.data && problem.data.error;
        show(form, message || form.getAttribute("data-failed"));
        if (nameField && message) { nameField.focus(); }
      });
  });
})();
