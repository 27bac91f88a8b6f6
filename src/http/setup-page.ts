// A minimal first-run page: paste the setup token printed by `finhub serve`,
// choose email and password. It posts to the same API the CLI and curl use.
export const SETUP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>finhub setup</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}#out{margin-top:1rem;white-space:pre-wrap}</style>
</head><body>
<h1>Create the first finhub user</h1>
<p>The setup token was printed in the server log when finhub started with an empty database.</p>
<form id="f">
<label for="token">Setup token</label><input id="token" name="token" required autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" required>
<label for="password">Password (10 characters or more)</label><input id="password" name="password" type="password" minlength="10" required>
<button type="submit">Create administrator</button>
</form>
<div id="out" role="status"></div>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch('/api/v1/setup', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: f.get('token'), email: f.get('email'), password: f.get('password') }) });
  const body = await r.json();
  document.getElementById('out').textContent = r.ok ? 'Done. Log in with POST /api/v1/auth/login, or browse the API at /api/docs.' : (body.detail || 'Setup failed');
});
</script>
</body></html>`;
