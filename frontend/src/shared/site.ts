import { api } from './api'
import type { Site } from './schemas'

/** Public site information and counters (cached 60 s by the server). */
export const fetchSite = () => api.get<Site>('/platform/site')
