/** Friendly names for the generated contract types (src/shared/api-types.ts, `npm run gen:api`). */
import type { components } from './api-types'

type Schemas = components['schemas']

export type Me = Schemas['MeOut']
export type OrganisationBrief = Schemas['OrganisationBrief']
export type LoginIn = Schemas['LoginIn']
export type MenuNode = Schemas['MenuNode']
export type Site = Schemas['SiteOut']
