// Loaded with `node --require` (through NODE_OPTIONS) before js-ipfs starts.
// Some of js-ipfs 0.66.1's dependencies call Promise.withResolvers, which
// Node.js only ships from version 22; Node 20 needs this stand-in.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
