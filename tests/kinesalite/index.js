// Stands in for `require('kinesalite')` in kinesalite's own test suite (test/*.js, unchanged):
// `kinesalite(options).listen(port, cb)` starts a Sluice server on that port instead, and
// `close(cb)` stops it. The binary is $SLUICE_BIN (default: target/debug/sluice).
'use strict'

var childProcess = require('child_process'),
    fs = require('fs'),
    net = require('net'),
    os = require('os'),
    path = require('path')

var ROOT = path.join(__dirname, '..', '..')
var BIN = process.env.SLUICE_BIN ? path.resolve(ROOT, process.env.SLUICE_BIN) :
  path.join(ROOT, 'target', 'debug', 'sluice')

module.exports = function sluice(options) {
  options = options || {}
  var child = null, dataDir = null

  function listen(port, cb) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesalite-'))
    var args = ['serve', '--port', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir, '--log', 'warn',
      // kinesalite's defaults: a new stream is CREATING, a deleted one DELETING and a resharded one
      // UPDATING for half a second; 10 shards per account.
      '--create-delay-ms', '500', '--delete-delay-ms', '500', '--update-delay-ms', '500',
      '--shard-limit', String(options.shardLimit || 10)]
    if (options.ssl) {
      args.push('--tls-cert', path.join(__dirname, 'ssl', 'server-crt.pem'),
        '--tls-key', path.join(__dirname, 'ssl', 'server-key.pem'))
    }
    child = childProcess.spawn(BIN, args, {stdio: ['ignore', 'inherit', 'inherit']})
    var started = child
    // A test that fails before it closes its server must not leave the server running.
    process.on('exit', function() { started.kill('SIGKILL') })
    var exited = null
    child.on('exit', function(code, signal) { exited = code != null ? 'code ' + code : signal })
    var deadline = Date.now() + 60000
    ;(function poll() {
      if (exited) return cb(new Error('sluice exited (' + exited + ') before it listened on ' + port))
      var socket = net.connect(port, '127.0.0.1')
      socket.on('connect', function() { socket.destroy(); cb() })
      socket.on('error', function() {
        if (Date.now() > deadline) return cb(new Error('sluice did not listen on ' + port + ' within 60 s'))
        setTimeout(poll, 50)
      })
    })()
  }

  function close(cb) {
    if (!child) return cb()
    var c = child
    child = null
    c.on('exit', function() {
      fs.rmSync(dataDir, {recursive: true, force: true})
      cb()
    })
    c.kill('SIGTERM')
  }

  return {listen: listen, close: close}
}
