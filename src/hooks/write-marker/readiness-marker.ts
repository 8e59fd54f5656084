import type {Hook} from '@oclif/core'

import '../../lib/hooks/events.js'
import {writeMarker} from '../../lib/readiness/marker.js'

/** Core answer to `hyops:write-marker`: the marker lands at `<root>/meta/<target>.ready.json`. */
const hook: Hook<'hyops:write-marker'> = async function (options) {
  return writeMarker(options.layout, options.marker)
}

export default hook
